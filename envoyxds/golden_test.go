package envoyxds

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"sigs.k8s.io/yaml"

	"github.com/gatebridge/gatebridge/internal/golden"
	"github.com/gatebridge/gatebridge/internal/pki"
	"github.com/gatebridge/gatebridge/model"
)

var update = flag.Bool("update", false, "rewrite the golden files of envoyxds/testdata")

// renderResources prints resources as YAML documents through protojson, so the bytes are stable.
func renderResources(t *testing.T, fleet string, r *Resources) []byte {
	t.Helper()
	var buf bytes.Buffer
	emit := func(typ string, m proto.Message) {
		js, err := protojson.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(js, &v); err != nil {
			t.Fatal(err)
		}
		out, err := yaml.Marshal(map[string]any{"fleet": fleet, "type": typ, "resource": v})
		if err != nil {
			t.Fatal(err)
		}
		buf.WriteString("---\n")
		buf.Write(out)
	}
	for _, l := range r.Listeners {
		emit("listener", l)
	}
	for _, rc := range r.Routes {
		emit("route", rc)
	}
	for _, c := range r.Clusters {
		emit("cluster", c)
	}
	for _, e := range r.Endpoints {
		emit("endpoints", e)
	}
	for _, s := range r.Secrets {
		// The material is made afresh by each run: print its name only.
		emit("secret", &tlsv3.Secret{Name: s.Name})
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	cases, _ := filepath.Glob("testdata/*.in.yaml")
	if len(cases) == 0 {
		t.Fatal("no golden cases")
	}
	for _, in := range cases {
		base := strings.TrimSuffix(in, ".in.yaml")
		t.Run(filepath.Base(base), func(t *testing.T) {
			snap := loadModel(t, in)
			var got []byte
			for _, fleet := range snap.Fleets() {
				res, err := Translate(snap, fleet, Options{})
				if err != nil {
					t.Fatalf("fleet %s: %v", fleet, err)
				}
				if err := res.Validate(); err != nil {
					t.Fatalf("fleet %s: %v", fleet, err)
				}
				got = append(got, renderResources(t, fleet, res)...)
			}
			golden.Compare(t, base+".out.yaml", got, *update)
		})
	}
}

// loadModel reads a golden model and gives it TLS material (see testMaterial).
func loadModel(t *testing.T, path string) *model.Snapshot {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	snap, err := model.ParseYAML(f)
	if err != nil {
		t.Fatal(err)
	}
	snap.Secrets = testMaterial(t, snap)
	testUsers(snap)
	return snap
}

// testUsers gives the basic-auth users of a golden case, whose hashes the model does not print, the
// {SHA} hash of their own name as password.
func testUsers(snap *model.Snapshot) {
	for _, p := range snap.RoutePolicies {
		if ba := p.Spec.BasicAuth; ba != nil {
			for _, u := range ba.Users {
				sum := sha1.Sum([]byte(u))
				ba.Htpasswd = append(ba.Htpasswd, u+":{SHA}"+base64.StdEncoding.EncodeToString(sum[:])+"\n"...)
			}
		}
	}
}

// testMaterial makes TLS material for every credential the Gateways and DestinationRules of a golden
// case name, except those whose name ends in "-missing": they stand for Secrets that are absent or
// invalid. The material of a DestinationRule's credential has CA certificates too, and only them when
// its name ends in "-ca-only". A server's caCertCredentialName gets CA certificates only.
func testMaterial(t *testing.T, snap *model.Snapshot) []model.TLSSecret {
	t.Helper()
	ca, err := pki.NewCA("golden")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range snap.Gateways {
		for _, srv := range g.Spec.Servers {
			names = append(names, model.Credentials(srv.Tls)...)
		}
	}
	gateways := len(names)
	for _, dr := range snap.DestinationRules {
		for _, tls := range model.ClientTLS(dr.Spec) {
			names = append(names, tls.CredentialName)
		}
	}
	var out []model.TLSSecret
	for i, c := range names {
		if c == "" || strings.HasSuffix(c, "-missing") || slices.ContainsFunc(out, func(s model.TLSSecret) bool { return s.Name == c }) {
			continue
		}
		s := model.TLSSecret{Name: c}
		if i >= gateways {
			s.CA = ca.CertPEM
		}
		if !strings.HasSuffix(c, "-ca-only") {
			leaf, err := ca.IssueNow("golden.example.com")
			if err != nil {
				t.Fatal(err)
			}
			s.Cert, s.Key = leaf.CertPEM, leaf.KeyPEM
		}
		out = append(out, s)
	}
	for _, g := range snap.Gateways {
		for _, srv := range g.Spec.Servers {
			c := srv.GetTls().GetCaCertCredentialName()
			if c == "" || strings.HasSuffix(c, "-missing") || slices.ContainsFunc(out, func(s model.TLSSecret) bool { return s.Name == c }) {
				continue
			}
			out = append(out, model.TLSSecret{Name: c, CA: ca.CertPEM})
		}
	}
	return out
}
