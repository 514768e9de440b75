package bridge_test

import (
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gatebridge/gatebridge/annotations"
	"github.com/gatebridge/gatebridge/bridge"
	"github.com/gatebridge/gatebridge/convert"
	"github.com/gatebridge/gatebridge/internal/eventually"
	"github.com/gatebridge/gatebridge/internal/pki"
	"github.com/gatebridge/gatebridge/model"
)

// htpasswdSHA is an htpasswd -s line.
func htpasswdSHA(user, password string) string {
	sum := sha1.Sum([]byte(password))
	return user + ":{SHA}" + base64.StdEncoding.EncodeToString(sum[:]) + "\n"
}

// ingressPolicy returns the route policy the latest sync made for the Ingress ns/name.
func (r *running) ingressPolicy(ns, name string) (*model.RoutePolicy, *convert.Result, error) {
	res, err := r.last()
	if err != nil {
		return nil, nil, err
	}
	src := convert.ObjectRef{Kind: "Ingress", Namespace: ns, Name: name}.String()
	for i, p := range res.Snapshot.RoutePolicies {
		if slices.Contains(p.Sources, src) {
			return &res.Snapshot.RoutePolicies[i], res, nil
		}
	}
	return nil, res, fmt.Errorf("no route policy from %s", src)
}

// checkBasicAuth reports whether the Ingress ns/name asks for basic authentication with exactly users
// (none: every request gets 401) and, when noted is set, has a note with that reason.
func (r *running) checkBasicAuth(ns, name string, users []string, noted string) error {
	p, res, err := r.ingressPolicy(ns, name)
	if err != nil {
		return err
	}
	ba := p.Spec.BasicAuth
	if ba == nil || !slices.Equal(ba.Users, users) {
		return fmt.Errorf("basic auth %+v, want users %v", ba, users)
	}
	ref := convert.ObjectRef{Kind: "Ingress", Namespace: ns, Name: name}
	has := slices.ContainsFunc(res.Notes, func(n convert.Note) bool { return n.Object == ref && n.Reason == noted })
	if noted != "" && !has {
		return fmt.Errorf("no note %s about %s: %v", noted, ref, res.Notes)
	}
	return nil
}

func (e *env) putSecret(t *testing.T, ns, name string, data map[string][]byte, update bool) {
	t.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Type: corev1.SecretTypeOpaque, Data: data}
	var err error
	if update {
		_, err = e.cluster.Client.CoreV1().Secrets(ns).Update(e.ctx, s, metav1.UpdateOptions{})
	} else {
		_, err = e.cluster.Client.CoreV1().Secrets(ns).Create(e.ctx, s, metav1.CreateOptions{})
	}
	if err != nil {
		t.Fatal(err)
	}
}

// testAuthSecret follows the Opaque Secret of an Ingress's auth-secret through its life: missing
// (every request 401), created, updated, and no longer named once the Ingress is deleted, while an
// Opaque Secret no Ingress names is never in the controller's caches.
func (e *env) testAuthSecret(t *testing.T) {
	const ns = "authsecret"
	e.namespace(t, ns)
	e.putSecret(t, ns, "unnamed", map[string][]byte{"auth": []byte(htpasswdSHA("eve", "x"))}, false)
	ann := fmt.Sprintf("%sauth-type: basic, %[1]sauth-secret: users", annotations.NginxPrefix)
	e.apply(t, serviceYAML(ns, "web"), ingressYAML(ns, "private", "gatebridge", ann, "web"))
	r := e.start(t, convert.Options{})
	eventually.Within(t, waitFor, "every request 401 while the Secret is missing", func() error {
		return r.checkBasicAuth(ns, "private", nil, convert.ReasonSecretNotFound)
	})
	cached, watches := bridge.CachedSecrets(r.Controller)
	if len(watches) != 1 || watches[ns+"/users"] == nil || slices.ContainsFunc(cached, isIn(ns)) {
		t.Errorf("watching %v and caching %v, want a watch of %s/users only and no Secret of %s cached", keys(watches), cached, ns, ns)
	}
	informer := watches[ns+"/users"]

	steps := []struct {
		what   string
		users  []string
		update bool
	}{{"the Secret created", []string{"alice"}, false}, {"the Secret updated", []string{"bob", "carol"}, true}}
	for _, s := range steps {
		var htpasswd string
		for _, u := range s.users {
			htpasswd += htpasswdSHA(u, "pw-"+u)
		}
		e.putSecret(t, ns, "users", map[string][]byte{"auth": []byte(htpasswd)}, s.update)
		eventually.Within(t, waitFor, s.what, func() error { return r.checkBasicAuth(ns, "private", s.users, "") })
		if cached, _ := bridge.CachedSecrets(r.Controller); !slices.Equal(slices.DeleteFunc(cached, notIn(ns)), []string{ns + "/users"}) {
			t.Errorf("%s: the Secrets of %s cached are %v, want %s/users only", s.what, ns, cached, ns)
		}
	}

	if err := e.cluster.Client.NetworkingV1().Ingresses(ns).Delete(e.ctx, "private", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually.Within(t, waitFor, "the watch stopped with its Ingress", func() error {
		cached, watches := bridge.CachedSecrets(r.Controller)
		return errors.Join(
			check(len(watches) == 0, "still watching %v", keys(watches)),
			check(!slices.ContainsFunc(cached, isIn(ns)), "still caching %v", cached),
			check(informer.IsStopped(), "the informer of %s/users still runs", ns))
	})
}

func isIn(ns string) func(string) bool {
	return func(s string) bool { return strings.HasPrefix(s, ns+"/") }
}
func notIn(ns string) func(string) bool { return func(s string) bool { return !isIn(ns)(s) } }

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func check(ok bool, format string, args ...any) error {
	if ok {
		return nil
	}
	return fmt.Errorf(format, args...)
}

// backendTLS returns what the latest sync does for TLS to the backend of the Ingress ns/name: the
// credential and mode of its subset, the CA and client certificate of that credential's material, and
// the SDS secrets of the Ingress fleet.
func (r *running) backendTLS(t *testing.T, ns, name string) (cred, mode string, ca, cert []byte, sds []string, err error) {
	res, err := r.last()
	if err != nil {
		return "", "", nil, nil, nil, err
	}
	for _, dr := range res.Snapshot.DestinationRules {
		for _, s := range dr.Spec.GetSubsets() {
			if tls := s.GetTrafficPolicy().GetTls(); s.Name == "ing-"+ns+"-"+name && tls != nil {
				cred, mode = tls.GetCredentialName(), tls.GetMode().String()
			}
		}
	}
	for _, m := range res.Snapshot.Secrets {
		if m.Name == cred {
			ca, cert = m.CA, m.Cert
		}
	}
	for _, s := range translate(t, res, ingressFleet).Secrets {
		if strings.HasPrefix(s.Name, ns+"/") {
			sds = append(sds, s.Name)
		}
	}
	slices.Sort(sds)
	return cred, mode, ca, cert, sds, nil
}

// testProxySSLSecret follows the Opaque Secret of an Ingress's proxy-ssl-secret (its backend verified
// with ca.crt, with a client certificate when it has tls.crt and tls.key) through its life, as
// testAuthSecret follows an auth-secret.
func (e *env) testProxySSLSecret(t *testing.T) {
	const ns = "proxyssl"
	e.namespace(t, ns)
	caA, err1 := pki.NewCA("backend A")
	caB, err2 := pki.NewCA("backend B")
	if err := errors.Join(err1, err2); err != nil {
		t.Fatal(err)
	}
	client, err := caA.IssueNow("gateway.example.com")
	if err != nil {
		t.Fatal(err)
	}
	e.putSecret(t, ns, "unnamed", map[string][]byte{"ca.crt": caB.CertPEM}, false)
	ann := fmt.Sprintf(`%sbackend-protocol: HTTPS, %[1]sproxy-ssl-verify: "on", %[1]sproxy-ssl-secret: %s/backend-tls`, annotations.NginxPrefix, ns)
	e.apply(t, serviceYAML(ns, "api"), ingressYAML(ns, "secure", "gatebridge", ann, "api"))
	r := e.start(t, convert.Options{})
	ref := convert.ObjectRef{Kind: "Ingress", Namespace: ns, Name: "secure"}
	eventually.Within(t, waitFor, "no TLS to the backend while the Secret is missing", func() error {
		cred, _, _, _, sds, err := r.backendTLS(t, ns, "secure")
		res, _ := r.last()
		return errors.Join(err, check(cred == "" && len(sds) == 0, "credential %q, SDS %v", cred, sds),
			check(slices.ContainsFunc(res.Notes, func(n convert.Note) bool {
				return n.Object == ref && strings.Contains(n.Message, "backend-tls not found")
			}), "no note that the Secret is missing: %v", res.Notes))
	})
	cached, watches := bridge.CachedSecrets(r.Controller)
	if len(watches) != 1 || watches[ns+"/backend-tls"] == nil || slices.ContainsFunc(cached, isIn(ns)) {
		t.Errorf("watching %v and caching %v, want a watch of %s/backend-tls only and no Secret of %s cached", keys(watches), cached, ns, ns)
	}
	informer := watches[ns+"/backend-tls"]

	cred := ns + "/backend-tls"
	steps := []struct {
		what     string
		data     map[string][]byte
		mode     string
		ca, cert []byte
		sds      []string
	}{
		{"created with a CA and a client certificate", map[string][]byte{"ca.crt": caA.CertPEM, "tls.crt": client.CertPEM, "tls.key": client.KeyPEM},
			"MUTUAL", caA.CertPEM, client.CertPEM, []string{cred, cred + "-cacert"}},
		{"updated to another CA only", map[string][]byte{"ca.crt": caB.CertPEM}, "SIMPLE", caB.CertPEM, nil, []string{cred + "-cacert"}},
	}
	for i, s := range steps {
		e.putSecret(t, ns, "backend-tls", s.data, i > 0)
		eventually.Within(t, waitFor, s.what, func() error {
			gotCred, mode, ca, cert, sds, err := r.backendTLS(t, ns, "secure")
			return errors.Join(err, check(gotCred == cred && mode == s.mode && slices.Equal(ca, s.ca) && slices.Equal(cert, s.cert) && slices.Equal(sds, s.sds),
				"credential %q mode %s, CA %t, client certificate %t, SDS %v", gotCred, mode, slices.Equal(ca, s.ca), slices.Equal(cert, s.cert), sds))
		})
		if cached, _ := bridge.CachedSecrets(r.Controller); !slices.Equal(slices.DeleteFunc(cached, notIn(ns)), []string{cred}) {
			t.Errorf("%s: the Secrets of %s cached are %v, want %s only", s.what, ns, cached, cred)
		}
	}

	if err := e.cluster.Client.NetworkingV1().Ingresses(ns).Delete(e.ctx, "secure", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually.Within(t, waitFor, "the watch stopped with its Ingress", func() error {
		cached, watches := bridge.CachedSecrets(r.Controller)
		return errors.Join(check(len(watches) == 0, "still watching %v", keys(watches)),
			check(!slices.ContainsFunc(cached, isIn(ns)), "still caching %v", cached),
			check(informer.IsStopped(), "the informer of %s still runs", cred))
	})
}
