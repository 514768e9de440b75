package certs

import (
	"cmp"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	"github.com/gatebridge/gatebridge/annotations"
)

// applysetLabel is the one label of an object that cert-manager does not copy to its Certificates.
const applysetLabel = "applyset.kubernetes.io/part-of"

// defaultUsages are the key usages of a Certificate whose object sets no cert-manager.io/usages.
var defaultUsages = []string{"digital signature", "key encipherment"}

// ShimOptions are the cert-manager controller settings that change what its shims create.
type ShimOptions struct {
	// DefaultIssuer is the issuer of Ingresses that carry only an auto-certificate annotation
	// (cert-manager's --default-issuer-name, --default-issuer-kind and --default-issuer-group).
	DefaultIssuer IssuerRef `json:"defaultIssuer,omitempty"`
	// AutoCertificateAnnotations make ingress-shim take an Ingress when one of them is "true"
	// (--auto-certificate-annotations); nil means kubernetes.io/tls-acme.
	AutoCertificateAnnotations []string `json:"autoCertificateAnnotations,omitempty"`
	// ExtraAnnotations are copied from the object to its Certificates (--extra-certificate-annotations).
	ExtraAnnotations []string `json:"extraAnnotations,omitempty"`
}

// Certificate is a cert-manager Certificate (cert-manager.io/v1) in gatebridge's own types: printed as
// YAML, it is a manifest cert-manager takes.
type Certificate struct {
	APIVersion string          `json:"apiVersion"`
	Kind       string          `json:"kind"`
	Metadata   CertificateMeta `json:"metadata"`
	Spec       CertificateSpec `json:"spec"`
}

// CertificateMeta is the metadata of a Certificate.
type CertificateMeta struct {
	Name            string            `json:"name"`
	Namespace       string            `json:"namespace"`
	Labels          map[string]string `json:"labels,omitempty"`
	Annotations     map[string]string `json:"annotations,omitempty"`
	OwnerReferences []OwnerReference  `json:"ownerReferences,omitempty"`
}

// OwnerReference names the Ingress or Gateway a Certificate belongs to.
type OwnerReference struct {
	APIVersion         string    `json:"apiVersion"`
	Kind               string    `json:"kind"`
	Name               string    `json:"name"`
	UID                types.UID `json:"uid,omitempty"`
	Controller         bool      `json:"controller"`
	BlockOwnerDeletion bool      `json:"blockOwnerDeletion"`
}

// CertificateSpec is the part of a Certificate's spec the shims set.
type CertificateSpec struct {
	SecretName            string           `json:"secretName"`
	CommonName            string           `json:"commonName,omitempty"`
	DNSNames              []string         `json:"dnsNames,omitempty"`
	IPAddresses           []string         `json:"ipAddresses,omitempty"`
	EmailAddresses        []string         `json:"emailAddresses,omitempty"`
	Subject               *Subject         `json:"subject,omitempty"`
	Duration              *metav1.Duration `json:"duration,omitempty"`
	RenewBefore           *metav1.Duration `json:"renewBefore,omitempty"`
	RenewBeforePercentage *int32           `json:"renewBeforePercentage,omitempty"`
	Usages                []string         `json:"usages,omitempty"`
	RevisionHistoryLimit  *int32           `json:"revisionHistoryLimit,omitempty"`
	PrivateKey            *PrivateKey      `json:"privateKey,omitempty"`
	SecretTemplate        *SecretTemplate  `json:"secretTemplate,omitempty"`
	IssuerRef             IssuerRef        `json:"issuerRef"`
}

// shimObject is what the shims read of an Ingress or a Gateway.
type shimObject struct {
	meta       *metav1.ObjectMeta
	apiVersion string
	kind       string
}

// secretHosts are the hosts of one Secret, in the order the object names them.
type secretHosts struct {
	namespace, name string
	hosts           []string
}

// IngressCertificates returns the Certificates cert-manager's ingress-shim creates for an Ingress, one
// per spec.tls Secret, sorted by name; none when the Ingress names no issuer or cert-manager would
// refuse it. Findings say what is refused or skipped: annotation keys, or spec fields for TLS entries.
func IngressCertificates(ing *networkingv1.Ingress, opts ShimOptions) ([]Certificate, []annotations.Finding) {
	obj := shimObject{meta: &ing.ObjectMeta, apiVersion: networkingv1.SchemeGroupVersion.String(), kind: "Ingress"}
	auto := opts.AutoCertificateAnnotations
	if auto == nil {
		auto = []string{annotations.TLSACME}
	}
	settings, issuer, findings, ok := shimSettings(obj, auto, opts)
	if !ok {
		return nil, findings
	}
	var secrets []secretHosts
	seen := map[string]int{}
	for i, tls := range ing.Spec.TLS {
		field := fmt.Sprintf("spec.tls[%d]", i)
		if first, dup := seen[tls.SecretName]; dup && tls.SecretName != "" {
			findings = append(findings, annotations.Finding{Key: field, Kind: annotations.Invalid,
				Message: fmt.Sprintf("secret %s is also in spec.tls[%d]: cert-manager creates no Certificate for this Ingress", tls.SecretName, first)})
			return nil, findings
		}
		seen[tls.SecretName] = i
		if len(tls.Hosts) == 0 || tls.SecretName == "" {
			findings = append(findings, annotations.Finding{Key: field, Kind: annotations.Invalid,
				Message: "hosts and secretName are required: cert-manager skips this entry"})
			continue
		}
		secrets = append(secrets, secretHosts{namespace: ing.Namespace, name: tls.SecretName, hosts: tls.Hosts})
	}
	return buildCertificates(obj, secrets, settings, issuer, opts), findings
}

// GatewayCertificates returns the Certificates cert-manager's gateway-shim creates for a Gateway, one
// per Secret its HTTPS and TLS (Terminate) listeners name, with the hostnames of those listeners;
// none when the Gateway names no issuer or cert-manager would refuse it. Findings say what is refused
// or skipped: annotation keys, or spec fields for listeners.
func GatewayCertificates(gw *gwapiv1.Gateway, opts ShimOptions) ([]Certificate, []annotations.Finding) {
	obj := shimObject{meta: &gw.ObjectMeta, apiVersion: gwapiv1.GroupVersion.String(), kind: "Gateway"}
	settings, issuer, findings, ok := shimSettings(obj, nil, opts)
	if !ok {
		return nil, findings
	}
	var secrets []secretHosts
	index := map[string]int{}
	for i, l := range gw.Spec.Listeners {
		if !issuesFor(l, settings) {
			continue
		}
		if problem := listenerProblem(gw, l); problem != "" {
			findings = append(findings, annotations.Finding{Key: fmt.Sprintf("spec.listeners[%d]", i), Kind: annotations.Invalid,
				Message: fmt.Sprintf("listener %s: %s: cert-manager skips it", l.Name, problem)})
			continue
		}
		for _, ref := range l.TLS.CertificateRefs {
			key := string(ref.Name)
			if j, ok := index[key]; ok {
				secrets[j].hosts = append(secrets[j].hosts, string(*l.Hostname))
				continue
			}
			index[key] = len(secrets)
			secrets = append(secrets, secretHosts{namespace: gw.Namespace, name: key, hosts: []string{string(*l.Hostname)}})
		}
	}
	return buildCertificates(obj, secrets, settings, issuer, opts), findings
}

// issuesFor says whether the gateway-shim looks at a listener at all: HTTPS or TLS, not passthrough,
// not in cert-manager.io/ignore-tls-listeners.
func issuesFor(l gwapiv1.Listener, s Settings) bool {
	if l.Protocol != gwapiv1.HTTPSProtocolType && l.Protocol != gwapiv1.TLSProtocolType {
		return false
	}
	if l.TLS != nil && l.TLS.Mode != nil && *l.TLS.Mode == gwapiv1.TLSModePassthrough {
		return false
	}
	return !slices.Contains(s.IgnoreTLSListeners, string(l.Name))
}

// listenerProblem is why the gateway-shim skips a listener it looks at, or "". Fields the API server
// defaults (group, kind, mode) count as their defaults when unset.
func listenerProblem(gw *gwapiv1.Gateway, l gwapiv1.Listener) string {
	switch {
	case l.Hostname == nil || *l.Hostname == "":
		return "no hostname"
	case l.TLS == nil || len(l.TLS.CertificateRefs) == 0:
		return "no certificateRefs"
	}
	for i, ref := range l.TLS.CertificateRefs {
		if ref.Group != nil && *ref.Group != "" && *ref.Group != "core" {
			return fmt.Sprintf("certificateRefs[%d]: group %s is not the core group", i, *ref.Group)
		}
		if ref.Kind != nil && *ref.Kind != "" && *ref.Kind != "Secret" {
			return fmt.Sprintf("certificateRefs[%d]: kind %s is not Secret", i, *ref.Kind)
		}
		if ref.Namespace != nil && string(*ref.Namespace) != gw.Namespace {
			return fmt.Sprintf("certificateRefs[%d]: namespace %s is not the Gateway's", i, *ref.Namespace)
		}
	}
	return ""
}

// shimSettings parses the annotations of an object and resolves its issuer. ok is false when the
// shims create nothing for it: it names no issuer (and no auto annotation is "true"), or cert-manager
// would refuse its annotations.
func shimSettings(obj shimObject, auto []string, opts ShimOptions) (Settings, IssuerRef, []annotations.Finding, bool) {
	settings, findings := ParseAnnotations(obj.meta.Annotations)
	triggered := settings.Requested || slices.ContainsFunc(auto, func(k string) bool {
		b, _ := strconv.ParseBool(obj.meta.Annotations[k])
		return b
	})
	if !triggered {
		return settings, IssuerRef{}, ignoredAnnotations(obj.meta.Annotations), false
	}
	issuer := opts.DefaultIssuer
	if settings.Requested {
		issuer.Name = settings.Issuer.Name
	}
	issuer.Kind = cmp.Or(settings.Issuer.Kind, issuer.Kind)
	if _, ok := obj.meta.Annotations[annotations.CertManagerIssuerGroup]; ok {
		issuer.Group = settings.Issuer.Group
	}
	if issuer.Name == "" {
		findings = append(findings, annotations.Finding{Key: annotations.CertManagerIssuer, Kind: annotations.Invalid,
			Message: "no issuer: set cert-manager.io/issuer or cluster-issuer, or give cert-manager a default issuer"})
	}
	if Invalid(findings) {
		return settings, issuer, findings, false
	}
	return settings, issuer, findings, true
}

// ignoredAnnotations reports cert-manager annotations on an object that names no issuer: the shims
// ignore them.
func ignoredAnnotations(ann map[string]string) []annotations.Finding {
	for k := range ann {
		if strings.HasPrefix(k, annotations.CertManagerPrefix) || strings.HasPrefix(k, annotations.CertManagerACMEPrefix) {
			return []annotations.Finding{{Key: annotations.CertManagerIssuer, Kind: annotations.Unsupported,
				Message: "neither it nor cert-manager.io/cluster-issuer is set: cert-manager's shims ignore this object and its other cert-manager annotations"}}
		}
	}
	return nil
}

// buildCertificates makes one Certificate per Secret, sorted by name.
func buildCertificates(obj shimObject, secrets []secretHosts, s Settings, issuer IssuerRef, opts ShimOptions) []Certificate {
	var out []Certificate
	for _, sh := range secrets {
		dns, ips := splitHosts(sh.hosts)
		usages := s.Usages
		if usages == nil {
			usages = defaultUsages
		}
		spec := CertificateSpec{
			SecretName: sh.name, CommonName: s.CommonName, IssuerRef: issuer,
			DNSNames: unique(append(dns, s.AltNames...)), IPAddresses: unique(append(ips, s.IPSANs...)), EmailAddresses: s.EmailSANs,
			Subject: s.Subject, Duration: s.Duration, RenewBefore: s.RenewBefore, RenewBeforePercentage: s.RenewBeforePercentage,
			Usages: usages, RevisionHistoryLimit: s.RevisionHistoryLimit, PrivateKey: s.PrivateKey,
			SecretTemplate: s.SecretTemplate,
		}
		out = append(out, Certificate{
			APIVersion: "cert-manager.io/v1", Kind: "Certificate",
			Metadata: CertificateMeta{
				Name: sh.name, Namespace: sh.namespace, Labels: certificateLabels(obj.meta.Labels),
				Annotations: certificateAnnotations(obj, s, opts),
				OwnerReferences: []OwnerReference{{APIVersion: obj.apiVersion, Kind: obj.kind, Name: obj.meta.Name, UID: obj.meta.UID,
					Controller: true, BlockOwnerDeletion: true}},
			},
			Spec: spec,
		})
	}
	slices.SortFunc(out, func(a, b Certificate) int { return cmp.Compare(a.Metadata.Name, b.Metadata.Name) })
	return out
}

// splitHosts splits hosts into DNS names and IP addresses.
func splitHosts(hosts []string) (dns, ips []string) {
	for _, h := range hosts {
		if net.ParseIP(h) != nil {
			ips = append(ips, h)
		} else {
			dns = append(dns, h)
		}
	}
	return dns, ips
}

// unique drops repeated values, keeping the first of each.
func unique(values []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range values {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func certificateLabels(labels map[string]string) map[string]string {
	out := maps.Clone(labels)
	delete(out, applysetLabel)
	if len(out) == 0 {
		return nil
	}
	return out
}

// certificateAnnotations are the extra annotations copied from the object and those that tell
// cert-manager's ACME HTTP-01 solver where to route the challenge.
func certificateAnnotations(obj shimObject, s Settings, opts ShimOptions) map[string]string {
	out := map[string]string{}
	for _, k := range opts.ExtraAnnotations {
		if v, ok := obj.meta.Annotations[k]; ok {
			out[k] = v
		}
	}
	if s.EditInPlace {
		out[annotations.ACMEHTTP01OverrideIngressName] = obj.meta.Name
		out[annotations.CertManagerIssueTemporaryCertificate] = "true"
	}
	if s.HTTP01IngressClass != "" {
		out[annotations.ACMEHTTP01OverrideIngressClass] = s.HTTP01IngressClass
	}
	if s.HTTP01IngressClassName != "" {
		out[annotations.ACMEHTTP01OverrideIngressClassName] = s.HTTP01IngressClassName
	}
	if obj.kind == "Gateway" {
		out[annotations.ACMEHTTP01ParentRefKind] = "Gateway"
		out[annotations.ACMEHTTP01ParentRefName] = obj.meta.Name
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// ObjectFinding is a finding about one Ingress or Gateway ("Kind/namespace/name").
type ObjectFinding struct {
	Object string `json:"object"`
	annotations.Finding
}

// Desired returns the Certificates cert-manager's shims create for the Ingresses and the Gateways,
// sorted by namespace and name, and the findings about each object. Two objects that want the same
// Certificate cannot both own it: the older one keeps it and the other gets a finding.
func Desired(ingresses []networkingv1.Ingress, gateways []gwapiv1.Gateway, opts ShimOptions) ([]Certificate, []ObjectFinding) {
	type wanted struct {
		obj   shimObject
		certs []Certificate
	}
	var all []wanted
	var findings []ObjectFinding
	add := func(obj shimObject, certs []Certificate, fs []annotations.Finding) {
		all = append(all, wanted{obj, certs})
		for _, f := range fs {
			findings = append(findings, ObjectFinding{Object: objectName(obj), Finding: f})
		}
	}
	for i := range ingresses {
		certs, fs := IngressCertificates(&ingresses[i], opts)
		add(shimObject{meta: &ingresses[i].ObjectMeta, kind: "Ingress"}, certs, fs)
	}
	for i := range gateways {
		certs, fs := GatewayCertificates(&gateways[i], opts)
		add(shimObject{meta: &gateways[i].ObjectMeta, kind: "Gateway"}, certs, fs)
	}
	slices.SortStableFunc(all, func(a, b wanted) int {
		return cmp.Or(a.obj.meta.CreationTimestamp.Compare(b.obj.meta.CreationTimestamp.Time), cmp.Compare(objectName(a.obj), objectName(b.obj)))
	})
	owners := map[string]string{}
	var out []Certificate
	for _, w := range all {
		for _, c := range w.certs {
			key := c.Metadata.Namespace + "/" + c.Metadata.Name
			if owner, taken := owners[key]; taken {
				findings = append(findings, ObjectFinding{Object: objectName(w.obj), Finding: annotations.Finding{Key: "secretName " + c.Metadata.Name,
					Kind: annotations.Invalid, Message: fmt.Sprintf("Certificate %s belongs to %s (older): cert-manager leaves it to that object", key, owner)}})
				continue
			}
			owners[key] = objectName(w.obj)
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b Certificate) int {
		return cmp.Or(cmp.Compare(a.Metadata.Namespace, b.Metadata.Namespace), cmp.Compare(a.Metadata.Name, b.Metadata.Name))
	})
	slices.SortStableFunc(findings, func(a, b ObjectFinding) int {
		return cmp.Or(cmp.Compare(a.Object, b.Object), cmp.Compare(a.Key, b.Key))
	})
	return out, findings
}

func objectName(obj shimObject) string {
	return obj.kind + "/" + obj.meta.Namespace + "/" + obj.meta.Name
}

// PrintYAML prints Certificates as a stream of YAML documents, ready for kubectl apply.
func PrintYAML(certs []Certificate) ([]byte, error) {
	var out []byte
	for i, c := range certs {
		b, err := yaml.Marshal(c)
		if err != nil {
			return nil, fmt.Errorf("certificate %s/%s: %w", c.Metadata.Namespace, c.Metadata.Name, err)
		}
		if i > 0 {
			out = append(out, "---\n"...)
		}
		out = append(out, b...)
	}
	return out, nil
}
