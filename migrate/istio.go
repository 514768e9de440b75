package migrate

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gatebridge/gatebridge/annotations"
	"github.com/gatebridge/gatebridge/certs"
	"github.com/gatebridge/gatebridge/convert"
	"github.com/gatebridge/gatebridge/internal/pki"
	"github.com/gatebridge/gatebridge/model"
)

// migrateIstio translates the selected Ingresses with convert.Translate, as gatebridge serves them, and
// prints the Istio resources; Certificates replace the cert-manager annotations (cert-manager reads none
// on Istio resources). The report is built from the annotation findings and translation notes.
func migrateIstio(in *convert.Input, classes []*ingressClass, opts Options) (Result, error) {
	var reports []*ObjectReport
	byRef := map[Ref]*ObjectReport{}
	var certificates []certs.Certificate
	for _, c := range classes {
		for _, ing := range c.ingresses {
			r := &ObjectReport{Object: ingressRef(ing)}
			reports = append(reports, r)
			byRef[r.Object] = r
			certificates = append(certificates, istioCertificates(ing, r)...)
			istioFindings(ing, r)
		}
	}
	res, err := translateAsController(in, classes, opts)
	if err != nil {
		return Result{}, err
	}
	for _, n := range res.Notes {
		r := byRef[n.Object]
		if r == nil || n.Reason == convert.ReasonUnsupportedAnnotation || n.Reason == convert.ReasonUnknownAnnotation {
			continue
		}
		if n.Reason == convert.ReasonIgnoredAnnotation && ignoredKeyItem(r, n.Message) {
			continue
		}
		r.Items = append(r.Items, Item{Subject: n.Reason, Outcome: noteOutcome(n.Reason), Message: n.Message})
	}
	docs, err := res.Snapshot.Documents(model.PrintOptions{})
	if err != nil {
		return Result{}, fmt.Errorf("print istio resources: %w", err)
	}
	for _, c := range certificates {
		d, err := document(c.APIVersion, c.Kind, c)
		if err != nil {
			return Result{}, err
		}
		docs = append(docs, d)
	}
	addIstioOutputs(docs, byRef)
	out := Result{Objects: docs, Report: Report{Format: FormatIstio}}
	for _, r := range reports {
		out.Report.Objects = append(out.Report.Objects, *r)
	}
	out.Report.finish()
	return out, nil
}

// translateAsController translates the selected Ingresses with convert.Translate, each of a class the
// controller serves, as gatebridge would serve them.
func translateAsController(in *convert.Input, classes []*ingressClass, opts Options) (convert.Result, error) {
	sub := convert.Input{Services: in.Services, EndpointSlices: in.EndpointSlices, Secrets: in.Secrets, Namespaces: in.Namespaces}
	for _, c := range classes {
		sub.IngressClasses = append(sub.IngressClasses, networkingv1.IngressClass{
			ObjectMeta: metav1.ObjectMeta{Name: c.name},
			Spec:       networkingv1.IngressClassSpec{Controller: convert.DefaultIngressController},
		})
		for _, ing := range c.ingresses {
			cp := ing.DeepCopy()
			delete(cp.Annotations, annotations.ClassAnnotation)
			cp.Spec.IngressClassName = new(c.name)
			sub.Ingresses = append(sub.Ingresses, *cp)
		}
	}
	placeholders, err := placeholderSecrets(&sub)
	if err != nil {
		return convert.Result{}, err
	}
	sub.Secrets = append(sub.Secrets, placeholders...)
	return convert.Translate(sub, convert.Options{IngressNamespace: opts.GatewayNamespace}), nil
}

// placeholderSecrets stand for the TLS Secrets the Ingresses name that the input does not hold (manifest
// files rarely carry them): translation then makes the HTTPS servers that name them, as it will once the
// Secrets are there. Their bytes never reach the output: Istio resources name Secrets, nothing more.
func placeholderSecrets(in *convert.Input) ([]corev1.Secret, error) {
	have := map[nsName]bool{}
	for _, s := range in.Secrets {
		have[nsName{s.Namespace, s.Name}] = true
	}
	var out []corev1.Secret
	var leaf *pki.Leaf
	for _, ing := range in.Ingresses {
		for _, t := range ing.Spec.TLS {
			key := nsName{ing.Namespace, t.SecretName}
			if t.SecretName == "" || have[key] {
				continue
			}
			have[key] = true
			if leaf == nil {
				ca, err := pki.NewCA("gatebridge migrate placeholder")
				if err != nil {
					return nil, fmt.Errorf("placeholder certificate: %w", err)
				}
				if leaf, err = ca.IssueNow("placeholder.invalid"); err != nil {
					return nil, fmt.Errorf("placeholder certificate: %w", err)
				}
			}
			out = append(out, corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Name: t.SecretName, Namespace: ing.Namespace},
				Type:       corev1.SecretTypeTLS,
				Data:       map[string][]byte{corev1.TLSCertKey: leaf.CertPEM, corev1.TLSPrivateKeyKey: leaf.KeyPEM},
			})
		}
	}
	return out, nil
}

// ignoredKeyItem makes the item of the annotation an IgnoredAnnotation note is about ("annotation KEY:
// why") say that it is not used, as under ingress-nginx: the note, made with the whole fleet in view,
// replaces what the annotation's finding said of the key alone.
func ignoredKeyItem(r *ObjectReport, message string) bool {
	rest, ok := strings.CutPrefix(message, "annotation ")
	key, why, found := strings.Cut(rest, ": ")
	if !ok || !found {
		return false
	}
	item := Item{Subject: key, Outcome: Exact, Message: why}
	if i := slices.IndexFunc(r.Items, func(it Item) bool { return it.Subject == key }); i >= 0 {
		r.Items[i] = item
	} else {
		r.Items = append(r.Items, item)
	}
	return true
}

// noteOutcome says how a translation note bears on the migration: the conflicts are resolved as
// ingress-nginx resolves them, a missing Service answers 503 as it does; anything else is a difference.
func noteOutcome(reason string) Outcome {
	switch reason {
	case convert.ReasonPathConflict, convert.ReasonDefaultBackendConflict, convert.ReasonTLSConflict, convert.ReasonBackendNotFound, convert.ReasonCanaryWithoutPrimary,
		convert.ReasonIgnoredAnnotation:
		return Exact
	case convert.ReasonUnsupportedBackend, convert.ReasonInvalidPath, convert.ReasonErrorBackendNotFound:
		return Lost
	}
	return Approximated
}

// istioFindings reports the annotations gatebridge does not honour exactly, and wildcard hosts.
func istioFindings(ing *networkingv1.Ingress, r *ObjectReport) {
	_, findings := annotations.ParseIngress(ing.Annotations)
	for _, key := range slices.Sorted(maps.Keys(ing.Annotations)) {
		if strings.HasPrefix(key, annotations.NginxPrefix) && !slices.ContainsFunc(findings, func(f annotations.Finding) bool { return f.Key == key }) {
			r.Items = append(r.Items, Item{Subject: key, Outcome: Exact, Message: "served by gatebridge as ingress-nginx serves it"})
		}
	}
	for _, f := range findings {
		if strings.HasPrefix(f.Key, annotations.CertManagerPrefix) || strings.HasPrefix(f.Key, annotations.CertManagerACMEPrefix) {
			continue
		}
		outcome := Lost
		switch f.Kind {
		case annotations.Approximated:
			outcome = Approximated
		case annotations.Ignored:
			outcome = Exact // ignored by ingress-nginx too
		}
		r.Items = append(r.Items, Item{Subject: f.Key, Outcome: outcome, Message: f.Message})
	}
	for _, rule := range ing.Spec.Rules {
		if isWildcard(rule.Host) {
			r.Items = append(r.Items, Item{Subject: "spec.rules.host", Outcome: Approximated, Host: rule.Host,
				Message: fmt.Sprintf("wildcard host %s matches exactly one DNS label, as the Ingress specification says; ingress-nginx's server_name takes any number (a.b%s too)", rule.Host, rule.Host[1:])})
		}
	}
}

// istioCertificates are the Certificates cert-manager's ingress-shim made for the Ingress, without the
// owner reference to it (the Ingress goes away after the migration).
func istioCertificates(ing *networkingv1.Ingress, r *ObjectReport) []certs.Certificate {
	wanted, _ := certs.IngressCertificates(ing, certs.ShimOptions{})
	for i := range wanted {
		wanted[i].Metadata.OwnerReferences = nil
		r.Items = append(r.Items, Item{Subject: "cert-manager.io", Outcome: Exact, Message: fmt.Sprintf(
			"Certificate %s/%s (what cert-manager's ingress-shim made from the annotations; cert-manager reads none on Istio resources)",
			wanted[i].Metadata.Namespace, wanted[i].Metadata.Name)})
		r.Outputs = append(r.Outputs, "Certificate/"+wanted[i].Metadata.Namespace+"/"+wanted[i].Metadata.Name)
	}
	return wanted
}

// addIstioOutputs lists, on each Ingress's report, the Istio resources built from it.
func addIstioOutputs(docs []map[string]any, byRef map[Ref]*ObjectReport) {
	for _, d := range docs {
		meta, _ := d["metadata"].(map[string]any)
		ann, _ := meta["annotations"].(map[string]any)
		sources, _ := ann[model.SourcesAnnotation].(string)
		for _, s := range strings.Split(sources, ",") {
			parts := strings.SplitN(s, "/", 3)
			if len(parts) != 3 {
				continue
			}
			if r := byRef[Ref{Kind: parts[0], Namespace: parts[1], Name: parts[2]}]; r != nil {
				r.Outputs = append(r.Outputs, fmt.Sprintf("%s/%s/%s", d["kind"], meta["namespace"], meta["name"]))
			}
		}
	}
}
