package migrate

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/gatebridge/gatebridge/convert"
)

// Outcome says how far one setting of an Ingress survives the migration.
type Outcome string

const (
	// Exact: the migrated resources behave as ingress-nginx did for this setting.
	Exact Outcome = "exact"
	// Approximated: carried over, but some requests are treated differently (the message says which).
	Approximated Outcome = "approximated"
	// Lost: not carried over; the message says why and what to do instead.
	Lost Outcome = "lost"
)

// rank orders outcomes from best to worst.
func (o Outcome) rank() int {
	switch o {
	case Exact:
		return 0
	case Approximated:
		return 1
	}
	return 2
}

// Ref names one object: convert's ObjectRef, printed and marshalled the same way.
type Ref = convert.ObjectRef

func compareRefs(a, b Ref) int {
	return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
}

// Item is what became of one setting of an Ingress: an annotation (Subject is its key) or a field of
// its spec (Subject is the field path, such as spec.rules[0].http.paths[1]).
type Item struct {
	Subject string  `json:"subject"`
	Outcome Outcome `json:"outcome"`
	// Host, when set, is the only host whose requests the item is about.
	Host    string `json:"host,omitempty"`
	Message string `json:"message"`
}

// ObjectReport is what became of one Ingress.
type ObjectReport struct {
	Object Ref `json:"object"`
	// Outcome is the worst outcome of the items.
	Outcome Outcome `json:"outcome"`
	// Outputs are the resources the object contributes to, sorted.
	Outputs []string `json:"outputs,omitempty"`
	Items   []Item   `json:"items,omitempty"`
}

// Report is what a migration carried over, per Ingress, and the actions it asks of the user.
type Report struct {
	Format  string         `json:"format"`
	Outcome Outcome        `json:"outcome"`
	Objects []ObjectReport `json:"objects"`
	// Actions are things to do by hand for the output to work (a ConfigMap to create, a Service's
	// appProtocol to set), each naming the objects it is for.
	Actions []string `json:"actions,omitempty"`
}

// Counts returns how many items have each outcome.
func (r *Report) Counts() map[Outcome]int {
	out := map[Outcome]int{Exact: 0, Approximated: 0, Lost: 0}
	for _, o := range r.Objects {
		for _, it := range o.Items {
			out[it.Outcome]++
		}
	}
	return out
}

// Object returns the report of one object, or nil.
func (r *Report) Object(ref Ref) *ObjectReport {
	for i := range r.Objects {
		if r.Objects[i].Object == ref {
			return &r.Objects[i]
		}
	}
	return nil
}

// finish sorts everything and computes the outcomes.
func (r *Report) finish() {
	r.Outcome = Exact
	slices.SortFunc(r.Objects, func(a, b ObjectReport) int { return compareRefs(a.Object, b.Object) })
	for i := range r.Objects {
		o := &r.Objects[i]
		slices.Sort(o.Outputs)
		o.Outputs = slices.Compact(o.Outputs)
		slices.SortStableFunc(o.Items, func(a, b Item) int {
			return cmp.Or(cmp.Compare(a.Subject, b.Subject), cmp.Compare(a.Host, b.Host), cmp.Compare(a.Message, b.Message))
		})
		o.Items = slices.Compact(o.Items)
		o.Outcome = Exact
		for _, it := range o.Items {
			if it.Outcome.rank() > o.Outcome.rank() {
				o.Outcome = it.Outcome
			}
		}
		if o.Outcome.rank() > r.Outcome.rank() {
			r.Outcome = o.Outcome
		}
	}
	slices.Sort(r.Actions)
	r.Actions = slices.Compact(r.Actions)
}

// JSON prints the report as indented JSON.
func (r *Report) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("marshal report: %w", err)
	}
	return append(b, '\n'), nil
}

// Text prints the report for people: a summary, then one block per Ingress with its items, worst
// first, then the actions.
func (r *Report) Text() string {
	var b strings.Builder
	c := r.Counts()
	fmt.Fprintf(&b, "gatebridge migrate (%s): %d Ingresses; settings: %d exact, %d approximated, %d lost\n",
		r.Format, len(r.Objects), c[Exact], c[Approximated], c[Lost])
	for _, o := range r.Objects {
		fmt.Fprintf(&b, "\n%s: %s\n", o.Object, o.Outcome)
		if len(o.Outputs) > 0 {
			fmt.Fprintf(&b, "  -> %s\n", strings.Join(o.Outputs, ", "))
		}
		items := slices.Clone(o.Items)
		slices.SortStableFunc(items, func(a, b Item) int { return cmp.Compare(b.Outcome.rank(), a.Outcome.rank()) })
		for _, it := range items {
			host := ""
			if it.Host != "" {
				host = " [" + it.Host + "]"
			}
			fmt.Fprintf(&b, "  %-12s %s%s: %s\n", it.Outcome, it.Subject, host, it.Message)
		}
	}
	if len(r.Actions) > 0 {
		b.WriteString("\nto do by hand:\n")
		for _, a := range r.Actions {
			fmt.Fprintf(&b, "  - %s\n", a)
		}
	}
	return b.String()
}
