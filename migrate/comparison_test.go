package migrate

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
)

// verdictIgnored is a key the report says is ignored on a canary Ingress, as ingress-nginx ignores it
// (an exact item): the comparison in docs/migrate.md counts it apart from exact.
const verdictIgnored = "ignored"

// verdicts are the comparison's gatebridge columns, in the doc's order.
var verdicts = []string{string(Exact), string(Approximated), string(Lost), verdictIgnored}

// reportedWith names the keys that have no item of their own: their verdict is that of another key's
// item.
var reportedWith = map[string]string{"canary-by-header-value": "canary-by-header"}

// keyVerdict is gatebridge's verdict on one key of one Ingress: the worst outcome of the report items for
// the key (for rewrite-target, whose item defers to them, the worst path item), or ignored.
func keyVerdict(o *ObjectReport, key string) (string, bool) {
	subject := np + key
	if k, ok := reportedWith[key]; ok {
		subject = np + k
	}
	found, worst := false, Exact
	for _, it := range o.Items {
		match := it.Subject == subject
		if key == "rewrite-target" {
			match = strings.HasPrefix(it.Subject, "spec.rules[") && strings.Contains(it.Subject, ".http.paths[")
		}
		if !match {
			continue
		}
		if strings.HasPrefix(it.Message, "ignored on a canary Ingress") {
			return verdictIgnored, true
		}
		found = true
		if it.Outcome.rank() > worst.rank() {
			worst = it.Outcome
		}
	}
	if key == "rewrite-target" {
		found = true // no path item: every path exact
	}
	if !found && slices.Contains(canaryKeys, key) && canaryLeftOut(o) {
		return verdictIgnored, true
	}
	return string(worst), found
}

// canaryLeftOut says whether the report leaves the paths of a canary Ingress out, as ingress-nginx does
// (no primary path to join): its canary keys then have no item and no effect.
func canaryLeftOut(o *ObjectReport) bool {
	for _, it := range o.Items {
		if it.Outcome == Exact && strings.HasPrefix(it.Subject, "spec.rules[") &&
			strings.Contains(it.Message, "as ingress-nginx and gatebridge leave such a canary path out") {
			return true
		}
	}
	return false
}

// corpusComparison counts, over the Ingresses of the corpus, the Ingresses using each ingress-nginx key
// and gatebridge's verdicts on them (from the gateway-api report goldens): key → verdict → Ingresses.
func corpusComparison(t *testing.T) (map[string]map[string]int, int) {
	t.Helper()
	keys, ingresses := map[string]map[string]int{}, 0
	for _, base := range corpusCases(t) {
		in := loadCase(t, base)
		js, err := os.ReadFile(base + ".gateway-api.report.json")
		if err != nil {
			t.Fatal(err)
		}
		var rep Report
		if err := json.Unmarshal(js, &rep); err != nil {
			t.Fatalf("%s: %v", base, err)
		}
		for i := range in.Ingresses {
			ing := &in.Ingresses[i]
			ingresses++
			o := rep.Object(ingressRef(ing))
			if o == nil {
				t.Fatalf("%s: no report for Ingress %s/%s", base, ing.Namespace, ing.Name)
			}
			for a := range ing.Annotations {
				key, ok := strings.CutPrefix(a, np)
				if !ok {
					continue
				}
				v, ok := keyVerdict(o, key)
				if !ok {
					t.Errorf("%s: Ingress %s/%s: no report item for %s", base, ing.Namespace, ing.Name, key)
				}
				if keys[key] == nil {
					keys[key] = map[string]int{}
				}
				keys[key][v]++
			}
		}
	}
	return keys, ingresses
}

// verdictSummary prints one key's verdicts as the doc's table does: "2 exact / 1 lost".
func verdictSummary(counts map[string]int) string {
	var parts []string
	for _, v := range verdicts {
		if counts[v] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[v], v))
		}
	}
	return strings.Join(parts, " / ")
}

// TestComparisonDoc checks that the comparison with ingress2gateway in docs/migrate.md states what the
// corpus and the report goldens say: the number of Ingresses, each key's row (Ingresses using it and the
// start of gatebridge's column), the totals, and that the ingress2gateway row adds up to the uses. Run
// with -v to see the counts.
func TestComparisonDoc(t *testing.T) {
	keys, ingresses := corpusComparison(t)
	doc, err := os.ReadFile("../docs/migrate.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## Compared with ingress2gateway\n")
	if !ok {
		t.Fatal("docs/migrate.md has no section \"Compared with ingress2gateway\"")
	}
	uses, totals := 0, map[string]int{}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		n := 0
		for v, c := range keys[k] {
			n += c
			totals[v] += c
		}
		uses += n
		t.Logf("%-32s %2d  %s", k, n, verdictSummary(keys[k]))
	}
	want := []string{
		fmt.Sprintf("(the %d Ingresses of `migrate/testdata/*.in.yaml`)", ingresses),
		fmt.Sprintf("Totals over the %d uses of %d keys by the %d Ingresses", uses, len(keys), ingresses),
		fmt.Sprintf("| gatebridge migrate (goldens) | %d | %d | %d | %d |", totals[string(Exact)], totals[string(Approximated)], totals[string(Lost)], totals[verdictIgnored]),
	}
	t.Logf("%s", strings.Join(want, "\n"))
	for _, w := range want {
		if !strings.Contains(section, w) {
			t.Errorf("docs/migrate.md does not say %q", w)
		}
	}
	checkComparisonRows(t, section, keys)
	checkIngress2gatewayTotal(t, section, uses)
}

// checkComparisonRows checks that each key has one row whose Ingresses and gatebridge column agree with
// the goldens. A row of several keys says "N each" and "<verdicts> each".
func checkComparisonRows(t *testing.T, section string, keys map[string]map[string]int) {
	t.Helper()
	seen := map[string]bool{}
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, " | ")
		if !strings.HasPrefix(line, "| `") || len(cells) != 4 {
			continue
		}
		names := strings.Split(strings.TrimPrefix(cells[0], "| "), ", ")
		each := ""
		if len(names) > 1 {
			each = " each"
		}
		for _, name := range names {
			key := strings.Trim(name, "`")
			seen[key] = true
			counts, ok := keys[key]
			if !ok {
				t.Errorf("docs/migrate.md: row for %s, which the corpus does not use", key)
				continue
			}
			n := 0
			for _, c := range counts {
				n += c
			}
			if got, want := cells[1], fmt.Sprint(n)+each; got != want {
				t.Errorf("docs/migrate.md: %s: Ingresses %q, want %q", key, got, want)
			}
			if want := verdictSummary(counts) + each; !strings.HasPrefix(withoutNotes(cells[3]), want) {
				t.Errorf("docs/migrate.md: %s: gatebridge column %q, want it to start with %q (notes in parentheses aside)", key, cells[3], want)
			}
		}
	}
	for k := range keys {
		if !seen[k] {
			t.Errorf("docs/migrate.md: no row for %s", k)
		}
	}
}

// withoutNotes drops the parenthesized notes of a cell: "1 approximated (why) / 1 lost" → "1 approximated / 1 lost".
func withoutNotes(cell string) string {
	var b strings.Builder
	depth := 0
	for _, r := range cell {
		switch {
		case r == '(':
			depth++
		case r == ')' && depth > 0:
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// checkIngress2gatewayTotal checks that the ingress2gateway totals row accounts for every use.
func checkIngress2gatewayTotal(t *testing.T, section string, uses int) {
	t.Helper()
	for _, line := range strings.Split(section, "\n") {
		rest, ok := strings.CutPrefix(line, "| ingress2gateway (source reading) |")
		if !ok {
			continue
		}
		sum := 0
		for _, c := range strings.Split(strings.Trim(rest, " |"), " | ") {
			var n int
			if _, err := fmt.Sscan(c, &n); err != nil {
				t.Fatalf("docs/migrate.md: ingress2gateway totals: %q: %v", c, err)
			}
			sum += n
		}
		if sum != uses {
			t.Errorf("docs/migrate.md: the ingress2gateway totals add up to %d, want the %d uses", sum, uses)
		}
		return
	}
	t.Error("docs/migrate.md has no ingress2gateway totals row")
}
