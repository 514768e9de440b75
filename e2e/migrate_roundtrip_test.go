package e2e

import (
	"cmp"
	"fmt"
	"maps"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"

	"github.com/gatebridge/gatebridge/annotations"
	"github.com/gatebridge/gatebridge/bridge"
	"github.com/gatebridge/gatebridge/convert"
	"github.com/gatebridge/gatebridge/internal/pki"
	"github.com/gatebridge/gatebridge/migrate"
)

// TestMigrateRoundTrip serves the Ingress corpus of migrate/testdata through real Envoys twice: as
// Ingresses, and as the Gateway API resources gatebridge migrate makes of them. Every Ingress gets the
// same requests on both sides (each host, each path, a sub-path, a longer string, a path no rule takes,
// HTTP and HTTPS, canary headers and cookies, a CORS origin). Any difference in status, backend, path the
// backend saw, redirect Location or CORS headers fails the test unless the migration report declared
// approximated or lost a setting that answers that request (the path, default backend or annotation of
// the Ingress that takes it by ingress-nginx's precedence, its canary, or the Ingress whose Service
// answered on the Gateway side), whose key can make that kind of difference.
func TestMigrateRoundTrip(t *testing.T) {
	rt := newRoundTrip(t)
	probes := rt.probes()
	if len(probes) < 100 {
		t.Fatalf("only %d probes: the corpus was not read", len(probes))
	}
	rt.waitReady()
	var differences, predicted, answered int
	verified := rt.verifiedServed()
	for _, p := range probes {
		before, after := rt.ingressSide(p).send(p, rt.ca), rt.gatewaySide(p).send(p, rt.ca)
		if before.code == http.StatusOK {
			answered++
		}
		if _, ok := verified[p.ruleHost+" "+after.backend]; ok && before.code == http.StatusOK && before == after {
			verified[p.ruleHost+" "+after.backend] = true
		}
		o, err := rt.owners(p, before, after)
		if err != nil {
			t.Errorf("%s: %v", p, err)
		}
		if before == after {
			continue
		}
		differences++
		if why := rt.predicts(p, before, after, o); why != "" {
			predicted++
			t.Logf("%s\n\tas Ingress: %s\n\tmigrated:   %s\n\tpredicted:  %s", p, before, after, why)
			continue
		}
		t.Errorf("%s\n\tas Ingress: %s\n\tmigrated:   %s\n\ta difference no report item of what answers it predicts (Ingress side: %s, canary: %s, Gateway side: %v)",
			p, before, after, o.ingress, o.canary, o.gateway)
	}
	rt.checkMirrors()
	for k, served := range verified {
		if !served {
			t.Errorf("%s: the backend verified over TLS never answered 200 the same way on both sides", k)
		}
	}
	if answered < len(probes)/3 {
		t.Errorf("only %d of %d probes answered 200 as Ingresses: the corpus is not served", answered, len(probes))
	}
	t.Logf("%d probes, %d answered 200 as Ingresses, %d differences, %d of them predicted by the report or the reference's own gaps", len(probes), answered, differences, predicted)
}

// corpusTrip is the corpus served both ways.
type corpusTrip struct {
	t      *testing.T
	in     convert.Input
	result migrate.Result
	ca     *pki.CA
	// ingress and gateway hold one Envoy per fleet; ingressOf and gatewayOf find the fleet of a host.
	ingress, gateway map[string]*harness
	ingressOf        map[string]string
	classOf          map[string]string   // Ingress (namespace/name) -> its class
	listenerHosts    map[string][]string // gateway fleet -> listener hostnames ("" for none)
	backends         map[string]*backend // by Service (namespace/name)
	// gaps are, by Ingress, the annotations gatebridge itself does not serve for Ingresses: the
	// reference is not ingress-nginx there.
	gaps map[string][]string
}

func newRoundTrip(t *testing.T) *corpusTrip {
	files, err := filepath.Glob("../migrate/testdata/*.in.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("corpus: %v", err)
	}
	in, err := convert.LoadPaths("default", files...)
	if err != nil {
		t.Fatal(err)
	}
	rt := &corpusTrip{t: t, in: in, ingress: map[string]*harness{}, gateway: map[string]*harness{}, ingressOf: map[string]string{},
		classOf: map[string]string{}, listenerHosts: map[string][]string{}, backends: map[string]*backend{}}
	if rt.ca, err = pki.NewCA("e2e migrate"); err != nil {
		t.Fatal(err)
	}
	rt.trustVerifiedBackends()
	if rt.result, err = migrate.Migrate(rt.in, migrate.Options{}); err != nil {
		t.Fatal(err)
	}
	common := rt.backendsAndSecrets()
	rt.serveIngresses(common)
	rt.serveGateways(common)
	return rt
}

// backendsAndSecrets starts one backend per Service of the corpus (named namespace/name) and returns the
// Services pointing at them. A backend speaks HTTP/1.1 and HTTP/2 without TLS (gRPC and H2C backends),
// or terminates TLS itself with a certificate for the hosts passed through to it (ssl-passthrough) or
// for the name an Ingress verifies it with (proxy-ssl-verify).
func (rt *corpusTrip) backendsAndSecrets() map[string]string {
	files := map[string]string{}
	passthrough, verified := rt.passthroughHosts(), rt.verifiedBackends()
	for _, svc := range rt.in.Services {
		name := svc.Namespace + "/" + svc.Name
		var b *backend
		hosts := passthrough[name]
		if len(hosts) == 0 {
			hosts = verified[name]
		}
		if len(hosts) > 0 {
			leaf, err := rt.ca.IssueNow(hosts...)
			if err != nil {
				rt.t.Fatal(err)
			}
			b = startTLSBackend(rt.t, name, leafPair(rt.t, leaf))
		} else {
			b = startH2CBackend(rt.t, name)
		}
		rt.backends[name] = b
		s := svc.DeepCopy()
		s.Annotations = map[string]string{"gatebridge.dev/endpoints": b.addr}
		files["svc-"+svc.Namespace+"-"+svc.Name+".yaml"] = rt.manifest(s)
	}
	for _, sec := range rt.in.Secrets { // basic-auth and backend CA Secrets: both sides read the same
		files["corpus-secret-"+sec.Namespace+"-"+sec.Name+".yaml"] = rt.manifest(sec)
	}
	return files
}

// verifiedServed lists the hosts and backends ("host namespace/service") that Ingresses reach over TLS
// with verification: each must answer 200 on both sides at least once.
func (rt *corpusTrip) verifiedServed() map[string]bool {
	verified := rt.verifiedBackends()
	out := map[string]bool{}
	for _, ing := range rt.in.Ingresses {
		for _, rule := range ing.Spec.Rules {
			for _, p := range rulePaths(rule) {
				if svc := p.Backend.Service; svc != nil && len(verified[ing.Namespace+"/"+svc.Name]) > 0 {
					out[rule.Host+" "+ing.Namespace+"/"+svc.Name] = false
				}
			}
		}
	}
	if len(out) == 0 {
		rt.t.Fatal("the corpus has no backend verified over TLS")
	}
	return out
}

// verifiedBackends are, by Service (namespace/name), the names Ingresses with backend-protocol HTTPS and
// proxy-ssl-verify on check in its certificate (proxy-ssl-name, or else <service>.<namespace>.svc).
func (rt *corpusTrip) verifiedBackends() map[string][]string {
	out := map[string][]string{}
	for _, ing := range rt.in.Ingresses {
		a := ing.Annotations
		if a[annotations.NginxPrefix+"backend-protocol"] != "HTTPS" || a[annotations.NginxPrefix+"proxy-ssl-verify"] != "on" {
			continue
		}
		for _, rule := range ing.Spec.Rules {
			for _, p := range rulePaths(rule) {
				if svc := p.Backend.Service; svc != nil {
					key := ing.Namespace + "/" + svc.Name
					out[key] = append(out[key], cmpOr(a[annotations.NginxPrefix+"proxy-ssl-name"], svc.Name+"."+ing.Namespace+".svc"))
					for _, c := range rt.canariesOf(&ing, rule.Host, cmpOr(p.Path, "/")) {
						out[c] = append(out[c], cmpOr(a[annotations.NginxPrefix+"proxy-ssl-name"], strings.TrimPrefix(c, ing.Namespace+"/")+"."+ing.Namespace+".svc"))
					}
				}
			}
		}
	}
	return out
}

// canariesOf are the Services (namespace/name) of the canary Ingresses with a path of host: they join
// the primary's path and take its TLS to the backend.
func (rt *corpusTrip) canariesOf(primary *networkingv1.Ingress, host, path string) []string {
	var out []string
	for i := range rt.in.Ingresses {
		ing := &rt.in.Ingresses[i]
		if !isCanary(ing) || ing.Namespace != primary.Namespace {
			continue
		}
		for _, rule := range ing.Spec.Rules {
			for _, p := range rulePaths(rule) {
				if rule.Host == host && cmpOr(p.Path, "/") == path && p.Backend.Service != nil {
					out = append(out, ing.Namespace+"/"+p.Backend.Service.Name)
				}
			}
		}
	}
	return out
}

// trustVerifiedBackends puts the test's CA in the Secrets of proxy-ssl-secret annotations, before the
// migration copies it into ConfigMaps: both sides verify the backends it signs.
func (rt *corpusTrip) trustVerifiedBackends() {
	for _, ing := range rt.in.Ingresses {
		ns, name, ok := strings.Cut(ing.Annotations[annotations.NginxPrefix+"proxy-ssl-secret"], "/")
		if !ok {
			continue
		}
		for i := range rt.in.Secrets {
			if s := &rt.in.Secrets[i]; s.Namespace == ns && s.Name == name {
				s.Data = map[string][]byte{"ca.crt": rt.ca.CertPEM}
			}
		}
	}
}

// passthroughHosts are, by Service (namespace/name), the hosts ssl-passthrough Ingresses pass through to it.
func (rt *corpusTrip) passthroughHosts() map[string][]string {
	out := map[string][]string{}
	for _, ing := range rt.in.Ingresses {
		if ing.Annotations[annotations.NginxPrefix+"ssl-passthrough"] != "true" {
			continue
		}
		for _, rule := range ing.Spec.Rules {
			for _, p := range rulePaths(rule) {
				if svc := p.Backend.Service; svc != nil && (p.Path == "/" || p.Path == "") {
					key := ing.Namespace + "/" + svc.Name
					out[key] = append(out[key], rule.Host)
				}
			}
		}
	}
	return out
}

func rulePaths(rule networkingv1.IngressRule) []networkingv1.HTTPIngressPath {
	if rule.HTTP == nil {
		return nil
	}
	return rule.HTTP.Paths
}

func (rt *corpusTrip) manifest(obj any) string {
	b, err := yaml.Marshal(obj)
	if err != nil {
		rt.t.Fatal(err)
	}
	return string(b)
}

// certificate issues one certificate for every TLS host of the corpus.
func (rt *corpusTrip) secret(namespace, name string, hosts []string) string {
	leaf, err := rt.ca.IssueNow(hosts...)
	if err != nil {
		rt.t.Fatal(err)
	}
	return tlsSecret(namespace, name, leaf)
}

// serveIngresses serves the migrated Ingresses as gatebridge serves Ingresses: one Envoy per class.
func (rt *corpusTrip) serveIngresses(common map[string]string) {
	files := maps.Clone(common)
	classes := map[string]bool{}
	for _, r := range rt.result.Report.Objects {
		ing := rt.findIngress(r.Object)
		class := cmp.Or(ing.Annotations["kubernetes.io/ingress.class"], ptrValue(ing.Spec.IngressClassName), migrate.DefaultIngressClass)
		classes[class] = true
		rt.classOf[ing.Namespace+"/"+ing.Name] = class
		files["ing-"+ing.Namespace+"-"+ing.Name+".yaml"] = rt.manifest(ing)
		for _, rule := range ing.Spec.Rules {
			rt.ingressOf[rule.Host] = class
		}
		for _, tls := range ing.Spec.TLS {
			files["secret-"+ing.Namespace+"-"+tls.SecretName+".yaml"] = rt.secret(ing.Namespace, tls.SecretName, tls.Hosts)
		}
	}
	for class := range classes {
		files["class-"+class+".yaml"] = fmt.Sprintf("apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: %s}\nspec: {controller: gatebridge.dev/ingress-controller}\n", class)
	}
	dir := rt.writeFolder(files)
	for class := range classes {
		rt.ingress[class] = rt.startFleet(dir, convert.IngressFleet(class))
	}
	rt.gaps = ingressSideGaps(rt.t, files)
}

// serveGateways serves the migration's output: one Envoy per Gateway.
func (rt *corpusTrip) serveGateways(common map[string]string) {
	files := maps.Clone(common)
	files["gatewayclass.yaml"] = "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: gatebridge}\nspec: {controllerName: gatebridge.dev/gateway-controller}\n"
	var fleets []string
	secretHosts := map[[2]string][]string{}
	for i, doc := range rt.result.Objects {
		files[fmt.Sprintf("out-%03d.yaml", i)] = rt.manifest(doc)
		if doc["kind"] != "Gateway" {
			continue
		}
		var gw struct {
			Metadata struct{ Name, Namespace string }
			Spec     struct {
				Listeners []struct {
					Hostname string
					TLS      *struct {
						CertificateRefs []struct{ Name, Namespace string }
					} `json:"tls"`
				}
			}
		}
		if err := yaml.Unmarshal([]byte(rt.manifest(doc)), &gw); err != nil {
			rt.t.Fatal(err)
		}
		fleet := "gateway-" + gw.Metadata.Namespace + "-" + gw.Metadata.Name
		fleets = append(fleets, fleet)
		for _, l := range gw.Spec.Listeners {
			rt.listenerHosts[fleet] = append(rt.listenerHosts[fleet], l.Hostname)
			for _, ref := range tlsRefs(l.TLS) {
				key := [2]string{cmp.Or(ref.Namespace, gw.Metadata.Namespace), ref.Name}
				secretHosts[key] = append(secretHosts[key], l.Hostname)
			}
		}
	}
	for key, hosts := range secretHosts {
		files["gwsecret-"+key[0]+"-"+key[1]+".yaml"] = rt.secret(key[0], key[1], hosts)
	}
	dir := rt.writeFolder(files)
	for _, fleet := range fleets {
		rt.gateway[fleet] = rt.startFleet(dir, fleet)
	}
}

func tlsRefs(tls *struct {
	CertificateRefs []struct{ Name, Namespace string }
}) []struct{ Name, Namespace string } {
	if tls == nil {
		return nil
	}
	return tls.CertificateRefs
}

func ptrValue(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// writeFolder writes files into a new folder.
func (rt *corpusTrip) writeFolder(files map[string]string) string {
	dir := rt.t.TempDir()
	h := &harness{t: rt.t, dir: dir}
	for name, content := range files {
		h.write(name, content)
	}
	return dir
}

// startFleet serves the folder in standalone mode to one Envoy of fleet. Each fleet has its own
// standalone server: the local ports of a server's Envoys are the same for every fleet.
func (rt *corpusTrip) startFleet(dir, fleet string) *harness {
	h := newHarness(rt.t)
	sa := bridge.NewStandalone(bridge.StandaloneOptions{Dir: dir, Poll: time.Minute, Log: testLog(), Envoy: h.envoyOptions()})
	h.startEnvoy(fleet, serve(rt.t, sa.Run))
	return h
}

func (rt *corpusTrip) findIngress(ref migrate.Ref) *networkingv1.Ingress {
	for i := range rt.in.Ingresses {
		ing := &rt.in.Ingresses[i]
		if ing.Namespace == ref.Namespace && ing.Name == ref.Name {
			return ing
		}
	}
	rt.t.Fatalf("%s is not in the corpus", ref)
	return nil
}

// ingressSideGaps lists, by Ingress, the ingress-nginx annotations gatebridge's own Ingress translation
// reports as unsupported.
func ingressSideGaps(t *testing.T, files map[string]string) map[string][]string {
	var in convert.Input
	for name, content := range files {
		if err := in.Decode(name, strings.NewReader(content)); err != nil {
			t.Fatal(err)
		}
	}
	gaps := map[string][]string{}
	for _, n := range convert.Translate(in, convert.Options{}).Notes {
		if n.Reason == convert.ReasonUnsupportedAnnotation {
			key := n.Object.Namespace + "/" + n.Object.Name
			gaps[key] = append(gaps[key], n.Message)
		}
	}
	return gaps
}
