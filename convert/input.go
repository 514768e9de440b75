package convert

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	sigsjson "sigs.k8s.io/json"

	gbv1alpha1 "github.com/gatebridge/gatebridge/api/v1alpha1"
)

// Input is everything translation reads. The controller fills it from informer caches, standalone mode
// and the CLI from manifest files, tests from golden files.
type Input struct {
	IngressClasses []networkingv1.IngressClass
	Ingresses      []networkingv1.Ingress
	GatewayClasses []gwapiv1.GatewayClass
	Gateways       []gwapiv1.Gateway
	// ListenerSets add listeners to the Gateways that allow them.
	ListenerSets    []gwapiv1.ListenerSet
	HTTPRoutes      []gwapiv1.HTTPRoute
	GRPCRoutes      []gwapiv1.GRPCRoute
	TLSRoutes       []gwapiv1.TLSRoute
	ReferenceGrants []gwapiv1.ReferenceGrant
	// RoutePolicies are gatebridge's own policies, which HTTPRoute rules name in ExtensionRef filters.
	RoutePolicies  []gbv1alpha1.RoutePolicy
	Services       []corev1.Service
	EndpointSlices []discoveryv1.EndpointSlice
	Namespaces     []corev1.Namespace
	// Secrets holds the TLS Secrets Ingresses and Gateways may name (in a cluster, every Secret of type
	// kubernetes.io/tls); Translate parses only those that are named.
	Secrets []corev1.Secret
	// BackendTLSPolicies say how to originate TLS to Services; ConfigMaps hold the CA certificates
	// they name (ca.crt).
	BackendTLSPolicies []gwapiv1.BackendTLSPolicy
	ConfigMaps         []corev1.ConfigMap
}

// ErrInvalidManifest marks a document that could not be read.
var ErrInvalidManifest = errors.New("invalid manifest")

type typeKey struct{ group, kind string }

// decoders maps a group and kind to the function that strictly decodes one document into the Input.
// Every served version of a group shares one Go type (older Gateway API versions are the same schema).
var decoders = map[typeKey]func(in *Input, doc []byte) error{
	{"networking.k8s.io", "IngressClass"}:              decodeInto(func(in *Input) *[]networkingv1.IngressClass { return &in.IngressClasses }),
	{"networking.k8s.io", "Ingress"}:                   decodeInto(func(in *Input) *[]networkingv1.Ingress { return &in.Ingresses }),
	{gwapiv1.GroupName, "GatewayClass"}:                decodeInto(func(in *Input) *[]gwapiv1.GatewayClass { return &in.GatewayClasses }),
	{gwapiv1.GroupName, "Gateway"}:                     decodeInto(func(in *Input) *[]gwapiv1.Gateway { return &in.Gateways }),
	{gwapiv1.GroupName, "ListenerSet"}:                 decodeInto(func(in *Input) *[]gwapiv1.ListenerSet { return &in.ListenerSets }),
	{gwapiv1.GroupName, "HTTPRoute"}:                   decodeInto(func(in *Input) *[]gwapiv1.HTTPRoute { return &in.HTTPRoutes }),
	{gwapiv1.GroupName, "GRPCRoute"}:                   decodeInto(func(in *Input) *[]gwapiv1.GRPCRoute { return &in.GRPCRoutes }),
	{gwapiv1.GroupName, "TLSRoute"}:                    decodeInto(func(in *Input) *[]gwapiv1.TLSRoute { return &in.TLSRoutes }),
	{gwapiv1.GroupName, "ReferenceGrant"}:              decodeInto(func(in *Input) *[]gwapiv1.ReferenceGrant { return &in.ReferenceGrants }),
	{gbv1alpha1.GroupName, gbv1alpha1.RoutePolicyKind}: decodeInto(func(in *Input) *[]gbv1alpha1.RoutePolicy { return &in.RoutePolicies }),
	{"", "Service"}:                                    decodeInto(func(in *Input) *[]corev1.Service { return &in.Services }),
	{"discovery.k8s.io", "EndpointSlice"}:              decodeInto(func(in *Input) *[]discoveryv1.EndpointSlice { return &in.EndpointSlices }),
	{"", "Namespace"}:                                  decodeInto(func(in *Input) *[]corev1.Namespace { return &in.Namespaces }),
	{"", "Secret"}:                                     decodeInto(func(in *Input) *[]corev1.Secret { return &in.Secrets }),
	{gwapiv1.GroupName, "BackendTLSPolicy"}: decodeInto(func(in *Input) *[]gwapiv1.BackendTLSPolicy {
		return &in.BackendTLSPolicies
	}),
	{"", "ConfigMap"}: decodeInto(func(in *Input) *[]corev1.ConfigMap { return &in.ConfigMaps }),
}

func decodeInto[T any](field func(*Input) *[]T) func(*Input, []byte) error {
	return func(in *Input, doc []byte) error {
		var obj T
		strictErrs, err := sigsjson.UnmarshalStrict(doc, &obj)
		if err != nil {
			return err
		}
		if len(strictErrs) > 0 {
			return errors.Join(strictErrs...)
		}
		*field(in) = append(*field(in), obj)
		return nil
	}
}

type header struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	Items []jsonRaw `json:"items"`
}

type jsonRaw []byte

func (r *jsonRaw) UnmarshalJSON(b []byte) error { *r = append((*r)[:0], b...); return nil }

// Decode reads a stream of YAML or JSON documents (and v1 Lists) into in. Documents of kinds that
// translation does not read (Deployments, ...) are skipped. Every document that cannot be
// read yields an error naming the source, the document's position and the object; the others are kept.
func (in *Input) Decode(source string, r io.Reader) error {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(r))
	var errs []error
	for n := 1; ; n++ {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: document %d: %w: %w", source, n, ErrInvalidManifest, err))
			break
		}
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		doc, err := utilyaml.ToJSON(raw)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: document %d: %w: %w", source, n, ErrInvalidManifest, err))
			continue
		}
		if err := in.decodeDocument(doc); err != nil {
			errs = append(errs, fmt.Errorf("%s: document %d: %w", source, n, err))
		}
	}
	return errors.Join(errs...)
}

func (in *Input) decodeDocument(doc []byte) error {
	if string(bytes.TrimSpace(doc)) == "null" {
		return nil
	}
	var h header
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(doc, &h); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidManifest, err)
	}
	if h.APIVersion == "" || h.Kind == "" {
		return fmt.Errorf("%w: apiVersion and kind are required", ErrInvalidManifest)
	}
	group := ""
	if i := strings.LastIndex(h.APIVersion, "/"); i >= 0 {
		group = h.APIVersion[:i]
	}
	if strings.HasSuffix(h.Kind, "List") {
		var errs []error
		for i, item := range h.Items {
			if err := in.decodeDocument(item); err != nil {
				errs = append(errs, fmt.Errorf("item %d: %w", i, err))
			}
		}
		return errors.Join(errs...)
	}
	decode, ok := decoders[typeKey{group, h.Kind}]
	if !ok {
		return nil
	}
	if h.Metadata.Name == "" {
		return fmt.Errorf("%w: %s without metadata.name", ErrInvalidManifest, h.Kind)
	}
	if err := decode(in, doc); err != nil {
		return fmt.Errorf("%w: %s %s: %w", ErrInvalidManifest, h.Kind, objectName(h.Metadata.Namespace, h.Metadata.Name), err)
	}
	return nil
}

func objectName(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace + "/" + name
}

// manifestExtensions are the file endings LoadPaths reads in a folder.
var manifestExtensions = []string{".yaml", ".yml", ".json"}

// LoadPaths reads manifest files, and folders of them (recursively, in lexical order), into one Input.
// Objects without a namespace get defaultNamespace (namespaced kinds only). The returned Input holds every
// document that could be read, even when the error is not nil.
func LoadPaths(defaultNamespace string, paths ...string) (Input, error) {
	var in Input
	var errs []error
	for _, p := range paths {
		files, err := ManifestFiles(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, f := range files {
			fileInput, err := readManifestFile(f, defaultNamespace)
			in.append(&fileInput)
			errs = append(errs, err)
		}
	}
	return in, errors.Join(errs...)
}

// readManifestFile decodes one manifest file; namespaced objects without a namespace get
// defaultNamespace. The Input holds what could be read even when the error is not nil.
func readManifestFile(path, defaultNamespace string) (Input, error) {
	var in Input
	b, err := os.ReadFile(path)
	if err != nil {
		return in, err
	}
	err = in.Decode(path, bytes.NewReader(b))
	in.DefaultNamespaces(defaultNamespace)
	return in, err
}

// ManifestFiles lists the files LoadPaths reads for a path: the file itself, or the .yaml, .yml and
// .json files below a folder (hidden folders skipped), sorted.
func ManifestFiles(p string) ([]string, error) {
	info, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !info.IsDir() {
		return []string{p}, nil
	}
	var files []string
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != p && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if !d.IsDir() && slices.Contains(manifestExtensions, strings.ToLower(filepath.Ext(path))) {
			files = append(files, path)
		}
		return nil
	})
	slices.Sort(files)
	return files, err
}

// DefaultNamespaces gives every namespaced object without a namespace the namespace ns, as kubectl does.
func (in *Input) DefaultNamespaces(ns string) {
	if ns == "" {
		ns = "default"
	}
	for _, m := range in.namespacedMeta() {
		if m.Namespace == "" {
			m.Namespace = ns
		}
	}
}

func (in *Input) namespacedMeta() []*metav1.ObjectMeta {
	var out []*metav1.ObjectMeta
	out = appendMeta(out, in.Ingresses, func(o *networkingv1.Ingress) *metav1.ObjectMeta { return &o.ObjectMeta })
	out = appendMeta(out, in.Gateways, func(o *gwapiv1.Gateway) *metav1.ObjectMeta { return &o.ObjectMeta })
	out = appendMeta(out, in.ListenerSets, func(o *gwapiv1.ListenerSet) *metav1.ObjectMeta { return &o.ObjectMeta })
	out = appendMeta(out, in.HTTPRoutes, func(o *gwapiv1.HTTPRoute) *metav1.ObjectMeta { return &o.ObjectMeta })
	out = appendMeta(out, in.GRPCRoutes, func(o *gwapiv1.GRPCRoute) *metav1.ObjectMeta { return &o.ObjectMeta })
	out = appendMeta(out, in.TLSRoutes, func(o *gwapiv1.TLSRoute) *metav1.ObjectMeta { return &o.ObjectMeta })
	out = appendMeta(out, in.ReferenceGrants, func(o *gwapiv1.ReferenceGrant) *metav1.ObjectMeta { return &o.ObjectMeta })
	out = appendMeta(out, in.RoutePolicies, func(o *gbv1alpha1.RoutePolicy) *metav1.ObjectMeta { return &o.ObjectMeta })
	out = appendMeta(out, in.Services, func(o *corev1.Service) *metav1.ObjectMeta { return &o.ObjectMeta })
	out = appendMeta(out, in.EndpointSlices, func(o *discoveryv1.EndpointSlice) *metav1.ObjectMeta { return &o.ObjectMeta })
	out = appendMeta(out, in.Secrets, func(o *corev1.Secret) *metav1.ObjectMeta { return &o.ObjectMeta })
	out = appendMeta(out, in.BackendTLSPolicies, func(o *gwapiv1.BackendTLSPolicy) *metav1.ObjectMeta { return &o.ObjectMeta })
	out = appendMeta(out, in.ConfigMaps, func(o *corev1.ConfigMap) *metav1.ObjectMeta { return &o.ObjectMeta })
	return out
}

func appendMeta[T any](out []*metav1.ObjectMeta, objs []T, meta func(*T) *metav1.ObjectMeta) []*metav1.ObjectMeta {
	for i := range objs {
		out = append(out, meta(&objs[i]))
	}
	return out
}
