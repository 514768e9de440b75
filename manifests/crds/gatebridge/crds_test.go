package gatebridgecrds_test

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	gbv1alpha1 "github.com/gatebridge/gatebridge/api/v1alpha1"
	"github.com/gatebridge/gatebridge/internal/kubetest"
	gatebridgecrds "github.com/gatebridge/gatebridge/manifests/crds/gatebridge"
)

// validPolicy uses every field of a RoutePolicy.
const validPolicy = `apiVersion: gatebridge.dev/v1alpha1
kind: RoutePolicy
metadata: {name: all, namespace: default}
spec:
  sourceRanges: {allow: [10.0.0.0/8, 192.0.2.7, "2001:db8::/32"], deny: [10.1.0.0/16], denyAll: false}
  rateLimits:
  - {requests: 5, periodSeconds: 1, burst: 10, perClient: true, statusCode: 503}
  - {requests: 100, periodSeconds: 60, statusCode: 503}
  basicAuth: {secretName: users, realm: Staff}
  extAuth:
    backendRef: {name: auth, namespace: auth, port: 8080}
    path: /check
    responseHeaders: [X-Auth-Request-User]
    signinURL: "$scheme://$host/oauth2/start?next=$escaped_request_uri&from=$request_uri"
    signinParam: next
    method: POST
    requestRedirect: "https://$host/back?to=%2Fhome"
  maxRequestBodyBytes: 1048576
  idleTimeoutSeconds: 60
  customErrors: {codes: [404, 503], backendRef: {name: errors, namespace: pages, port: 8080}}
  mirrorHost: shadow.example.com
`

// TestRoutePolicyValidation applies the CRD to a real API server: a policy using every field is stored
// as written, and each invalid value is refused with the field named.
func TestRoutePolicyValidation(t *testing.T) {
	cluster := kubetest.Start(t, kubetest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	crds, err := gatebridgecrds.Bundle()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cluster.Apply(ctx, crds); err != nil {
		t.Fatal(err)
	}
	stored, err := cluster.Apply(ctx, []byte(validPolicy))
	if err != nil {
		t.Fatalf("a valid RoutePolicy: %v", err)
	}
	var want map[string]any
	if err := yaml.Unmarshal([]byte(validPolicy), &want); err != nil {
		t.Fatal(err)
	}
	if got := stored[0].Object["spec"]; !reflect.DeepEqual(normalize(t, got), normalize(t, want["spec"])) {
		t.Errorf("stored spec %v, want %v (a field the schema prunes?)", got, want["spec"])
	}
	for _, tc := range []struct{ spec, field string }{
		{`sourceRanges: {allow: [10.0.0.0/33]}`, "spec.sourceRanges.allow[0]"},
		{`sourceRanges: {deny: [not-an-address]}`, "spec.sourceRanges.deny[0]"},
		{`rateLimits: [{requests: 0, periodSeconds: 1}]`, "spec.rateLimits[0].requests"},
		{`rateLimits: [{requests: 1, periodSeconds: 0}]`, "spec.rateLimits[0].periodSeconds"},
		{`rateLimits: [{requests: 1}]`, "spec.rateLimits[0].periodSeconds"},
		{`rateLimits: [{requests: 1, periodSeconds: 1, statusCode: 200}]`, "spec.rateLimits[0].statusCode"},
		{`rateLimits: [{requests: 1, periodSeconds: 1, statusCode: 503}, {requests: 9, periodSeconds: 60}]`, "spec.rateLimits"},
		{`basicAuth: {realm: x}`, "spec.basicAuth.secretName"},
		{`extAuth: {backendRef: {name: a, port: 80}, path: check}`, "spec.extAuth.path"},
		{`extAuth: {backendRef: {name: a, port: 0}, path: /}`, "spec.extAuth.backendRef.port"},
		{`extAuth: {backendRef: {name: a, port: 80}, path: /, signinURL: "https://$host/start?rd=$uri"}`, "spec.extAuth.signinURL"},
		{`extAuth: {backendRef: {name: a, port: 80}, path: /, signinURL: /oauth2/start}`, "spec.extAuth.signinURL"},
		{`extAuth: {backendRef: {name: a, port: 80}, path: /, signinURL: "ftp://sso.example.com/start"}`, "spec.extAuth.signinURL"},
		{`extAuth: {backendRef: {name: a, port: 80}, path: /, signinURL: "https://sso.example.com/start#top"}`, "spec.extAuth.signinURL"},
		{`extAuth: {backendRef: {name: a, port: 80}, path: /, signinURL: "https://sso.example.com/start", signinParam: "r d"}`, "spec.extAuth.signinParam"},
		{`extAuth: {backendRef: {name: a, port: 80}, path: /, signinParam: rd}`, "spec.extAuth"},
		{`extAuth: {backendRef: {name: a, port: 80}, path: /, method: get}`, "spec.extAuth.method"},
		{`extAuth: {backendRef: {name: a, port: 80}, path: /, requestRedirect: "https://$http_host/"}`, "spec.extAuth.requestRedirect"},
		{`maxRequestBodyBytes: -1`, "spec.maxRequestBodyBytes"},
		{`customErrors: {codes: [302], backendRef: {name: errors, port: 80}}`, "spec.customErrors.codes[0]"},
		{`customErrors: {codes: [], backendRef: {name: errors, port: 80}}`, "spec.customErrors.codes"},
		{`customErrors: {codes: [404], backendRef: {name: errors}}`, "spec.customErrors.backendRef.port"},
		{`mirrorHost: "shadow host"`, "spec.mirrorHost"},
	} {
		doc := "apiVersion: gatebridge.dev/v1alpha1\nkind: RoutePolicy\nmetadata: {name: bad, namespace: default}\nspec:\n  " + tc.spec + "\n"
		_, err := cluster.Apply(ctx, []byte(doc))
		if err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: %v, want an error naming %s", tc.spec, err, tc.field)
		}
	}
}

// normalize makes numbers of YAML and of the API server comparable.
func normalize(t *testing.T, v any) any {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := yaml.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSchemaMatchesGoTypes keeps the CRD's schema and the Go types of api/v1alpha1 in step: the same
// fields at every level, the required ones without omitempty.
func TestSchemaMatchesGoTypes(t *testing.T) {
	b, err := gatebridgecrds.Bundle()
	if err != nil {
		t.Fatal(err)
	}
	var crd struct {
		Spec struct {
			Versions []struct {
				Schema struct {
					OpenAPIV3Schema schema `json:"openAPIV3Schema"`
				} `json:"schema"`
			} `json:"versions"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(b[len("---\n"):], &crd); err != nil {
		t.Fatal(err)
	}
	spec := crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"]
	compareSchema(t, "spec", spec, reflect.TypeFor[gbv1alpha1.RoutePolicySpec]())
}

type schema struct {
	Type       string            `json:"type"`
	Required   []string          `json:"required"`
	Properties map[string]schema `json:"properties"`
	Items      *schema           `json:"items"`
}

func compareSchema(t *testing.T, path string, s schema, typ reflect.Type) {
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	switch typ.Kind() {
	case reflect.Slice:
		if s.Type != "array" || s.Items == nil {
			t.Errorf("%s: schema type %q, Go a slice", path, s.Type)
			return
		}
		compareSchema(t, path+"[]", *s.Items, typ.Elem())
		return
	case reflect.Struct:
	default:
		return
	}
	fields := map[string]bool{}
	for f := range typ.Fields() {
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		fields[name] = true
		prop, ok := s.Properties[name]
		if !ok {
			t.Errorf("%s.%s: in the Go type, not in the schema", path, name)
			continue
		}
		if required := slices.Contains(s.Required, name); required == strings.Contains(opts, "omitempty") {
			t.Errorf("%s.%s: required in the schema %v, omitempty in Go %v", path, name, required, !required)
		}
		compareSchema(t, path+"."+name, prop, f.Type)
	}
	for name := range s.Properties {
		if !fields[name] {
			t.Errorf("%s.%s: in the schema, not in the Go type", path, name)
		}
	}
}
