package convert

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/base64"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/gatebridge/gatebridge/annotations"
	"github.com/gatebridge/gatebridge/model"
)

// ingressBasicAuth reads the users of an Ingress's auth-secret. Whatever goes wrong (the Secret is
// missing, in another namespace, or holds no user Envoy can check), authentication stays asked: the
// users that cannot be checked cannot log in, and with none left every request gets 401.
func (t *translator) ingressBasicAuth(ing *networkingv1.Ingress, ba *annotations.BasicAuth) *model.BasicAuth {
	ref := ingressRef(ing)
	ns := cmp.Or(ba.SecretNamespace, ing.Namespace)
	out := &model.BasicAuth{Realm: ba.Realm, Secret: ns + "/" + ba.SecretName}
	if ba.SecretName == "" {
		return out // reported with the annotation
	}
	if ns != ing.Namespace {
		t.note(ref, NoteWarning, ReasonAuthSecretRefused, "auth-secret %s is in another namespace, which an Ingress may not read; every request gets 401", out.Secret)
		return out
	}
	secret := t.findSecret(ns, ba.SecretName)
	if secret == nil {
		t.note(ref, NoteWarning, ReasonSecretNotFound, "auth-secret %s not found; every request gets 401", out.Secret)
		return out
	}
	t.basicAuthUsers(ref, "auth-secret", out, secret, ba.SecretType)
	return out
}

// basicAuthUsers reads into out the users of a basic-auth Secret (what names it in the notes) whose
// password hashes Envoy can check; notes on ref say which users cannot log in. With no usable user,
// every request gets 401. Notes never quote the Secret's content.
func (t *translator) basicAuthUsers(ref ObjectRef, what string, out *model.BasicAuth, secret *corev1.Secret, typ string) {
	hashes, err := secretUsers(secret, typ)
	if err != nil {
		t.note(ref, NoteWarning, ReasonInvalidSecret, "%s %s: %v; every request gets 401", what, out.Secret, err)
		return
	}
	var unusable []string
	for _, user := range slices.Sorted(maps.Keys(hashes)) {
		if !usableHash(hashes[user]) || strings.ContainsAny(user, ":\n") {
			unusable = append(unusable, user)
			continue
		}
		out.Users = append(out.Users, user)
		out.Htpasswd = append(out.Htpasswd, user+":"+hashes[user]+"\n"...)
	}
	if len(unusable) > 0 {
		t.note(ref, NoteWarning, ReasonAuthUsersUnusable, "%s %s: Envoy cannot check the password hashes of %s (only {SHA} hashes, made by htpasswd -s); they cannot log in", what, out.Secret, strings.Join(unusable, ", "))
	}
	if len(out.Users) == 0 {
		t.note(ref, NoteWarning, ReasonAuthUsersUnusable, "%s %s has no usable user; every request gets 401", what, out.Secret)
	}
}

func (t *translator) findSecret(namespace, name string) *corev1.Secret {
	for i := range t.in.Secrets {
		if s := &t.in.Secrets[i]; s.Namespace == namespace && s.Name == name {
			return s
		}
	}
	return nil
}

// secretUsers reads the users of an auth secret and their hashes: htpasswd lines in the key "auth"
// (auth-file; the first line of a user wins, as in nginx), or one key per user (auth-map). Errors
// never quote the Secret's content.
func secretUsers(s *corev1.Secret, typ string) (map[string]string, error) {
	users := map[string]string{}
	if typ == annotations.AuthMap {
		for user, hash := range s.Data {
			users[user] = strings.TrimSpace(string(hash))
		}
		return users, nil
	}
	data, ok := s.Data["auth"]
	if !ok {
		return nil, fmt.Errorf("no key %q", "auth")
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		user, hash, ok := strings.Cut(line, ":")
		if !ok || user == "" {
			return nil, fmt.Errorf("line %d is not user:hash", n)
		}
		if _, dup := users[user]; !dup {
			users[user] = hash
		}
	}
	return users, sc.Err()
}

// usableHash reports whether Envoy's basic_auth filter can check a hash: {SHA} and the base64 of a
// SHA-1 sum.
func usableHash(h string) bool {
	b64, ok := strings.CutPrefix(h, "{SHA}")
	if !ok {
		return false
	}
	sum, err := base64.StdEncoding.DecodeString(b64)
	return err == nil && len(sum) == 20
}

// ingressExtAuth resolves an auth-url to a port of a Service of the cluster: its host must be
// <service>.<namespace>, <service>.<namespace>.svc or <service>.<namespace>.svc.<cluster domain>.
// An auth-url of the request's own host ($host, or a host of the Ingress) goes to the backend of the path
// that takes it (authHostBackend). Another host, an https URL, or a Service that does not exist still
// asks authentication: check requests fail and requests get 500, as nginx answers when its auth service
// cannot be reached.
func (t *translator) ingressExtAuth(fleet string, ing *networkingv1.Ingress, ea *annotations.ExtAuth) *model.ExtAuth {
	out := &model.ExtAuth{Host: model.UnresolvedBackendHost, Port: 80, Path: ea.URL.RequestURI(), ResponseHeaders: ea.ResponseHeaders, SigninParam: ea.SigninParam,
		Method: ea.Method, RequestRedirect: ea.RequestRedirect}
	if ea.Signin != nil {
		out.SigninURL = ea.Signin.String()
	}
	if hosts := authURLHosts(ing, ea.URL.Hostname()); hosts != nil {
		t.authHostBackend(fleet, ing, ea, hosts, out)
		return out
	}
	if ea.URL.Scheme != "http" {
		t.note(ingressRef(ing), NoteWarning, ReasonAuthServiceInvalid, "auth-url %s: https is served only for a path of the request's own host; requests get 500", ea.URL.Redacted())
		return out
	}
	if p := ea.URL.Port(); p != "" {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil || n == 0 {
			t.note(ingressRef(ing), NoteWarning, ReasonAuthServiceInvalid, "auth-url port %q is not a port; requests get 500", p)
			return out
		}
		out.Port = uint32(n)
	}
	svc, ns, ok := t.clusterService(ea.URL.Hostname())
	if !ok {
		t.note(ingressRef(ing), NoteWarning, ReasonAuthServiceInvalid, "auth-url host %q is not a Service of the cluster (<service>.<namespace>[.svc[.%s]]), the only auth services gatebridge reaches; requests get 500", ea.URL.Hostname(), t.opts.DomainSuffix)
		return out
	}
	if _, err := t.ingressServicePort(ns, &networkingv1.IngressServiceBackend{Name: svc, Port: networkingv1.ServiceBackendPort{Number: int32(out.Port)}}); err != nil {
		t.note(ingressRef(ing), NoteWarning, ReasonAuthServiceInvalid, "auth-url: %v; requests get 500", err)
		return out
	}
	t.useService(ns, svc)
	out.Host = serviceHost(ns, svc, t.opts.DomainSuffix)
	return out
}

// clusterService splits a host naming a Service of the cluster into its name and namespace.
func (t *translator) clusterService(host string) (name, namespace string, ok bool) {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, suffix := range []string{".svc." + t.opts.DomainSuffix, ".svc", ""} {
		rest, found := strings.CutSuffix(host, suffix)
		if !found {
			continue
		}
		if name, namespace, ok = strings.Cut(rest, "."); ok && name != "" && namespace != "" && !strings.Contains(namespace, ".") {
			return name, namespace, true
		}
	}
	return "", "", false
}
