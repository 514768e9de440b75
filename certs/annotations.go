package certs

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gatebridge/gatebridge/annotations"
)

// Limits cert-manager (v1.21) puts on a Certificate's lifetime.
const (
	// DefaultDuration is the lifetime of a Certificate that does not ask for one.
	DefaultDuration = 90 * 24 * time.Hour
	// MinimumDuration and MinimumRenewBefore are the smallest values cert-manager accepts.
	MinimumDuration    = time.Hour
	MinimumRenewBefore = 5 * time.Minute
)

// Issuer kinds of cert-manager.
const (
	KindIssuer        = "Issuer"
	KindClusterIssuer = "ClusterIssuer"
)

// IssuerRef names the issuer of a Certificate, as cert-manager's spec.issuerRef does.
type IssuerRef struct {
	Name  string `json:"name"`
	Kind  string `json:"kind,omitempty"`
	Group string `json:"group,omitempty"`
}

// Subject is the X.509 subject of a Certificate (spec.subject).
type Subject struct {
	Organizations       []string `json:"organizations,omitempty"`
	Countries           []string `json:"countries,omitempty"`
	OrganizationalUnits []string `json:"organizationalUnits,omitempty"`
	Localities          []string `json:"localities,omitempty"`
	Provinces           []string `json:"provinces,omitempty"`
	StreetAddresses     []string `json:"streetAddresses,omitempty"`
	PostalCodes         []string `json:"postalCodes,omitempty"`
	SerialNumber        string   `json:"serialNumber,omitempty"`
}

// PrivateKey is how the private key of a Certificate is made (spec.privateKey).
type PrivateKey struct {
	Algorithm      string `json:"algorithm,omitempty"`
	Encoding       string `json:"encoding,omitempty"`
	Size           int    `json:"size,omitempty"`
	RotationPolicy string `json:"rotationPolicy,omitempty"`
}

// SecretTemplate holds the labels and annotations cert-manager puts on the Secret (spec.secretTemplate).
type SecretTemplate struct {
	Annotations map[string]string `json:"annotations,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
}

// Settings are what cert-manager's annotations on an Ingress or a Gateway ask of the Certificates its
// ingress-shim and gateway-shim create. Unset annotations leave fields empty.
type Settings struct {
	// Requested says that the object names an issuer (cert-manager.io/issuer or cluster-issuer): the
	// shims create Certificates for it. Issuer holds what the annotations say of the issuer.
	Requested bool
	Issuer    IssuerRef

	CommonName                                  string
	AltNames, IPSANs, URISANs, EmailSANs        []string
	Subject                                     *Subject
	Duration, RenewBefore                       *metav1.Duration
	RenewBeforePercentage, RevisionHistoryLimit *int32
	Usages                                      []string
	PrivateKey                                  *PrivateKey
	SecretTemplate                              *SecretTemplate
	IgnoreTLSListeners                          []string
	EditInPlace                                 bool
	HTTP01IngressClass, HTTP01IngressClassName  string
}

// usages are the key usages cert-manager knows (spec.usages).
var usages = map[string]bool{
	"signing": true, "digital signature": true, "content commitment": true, "key encipherment": true,
	"key agreement": true, "data encipherment": true, "cert sign": true, "crl sign": true,
	"encipher only": true, "decipher only": true, "any": true, "server auth": true, "client auth": true,
	"code signing": true, "email protection": true, "s/mime": true, "ipsec end system": true,
	"ipsec tunnel": true, "ipsec user": true, "timestamping": true, "ocsp signing": true,
	"microsoft sgc": true, "netscape sgc": true,
}

// ParseAnnotations reads cert-manager's annotations of an Ingress or a Gateway. A value cert-manager
// would refuse is an Invalid finding: the shim then creates no Certificate for the object (it fails, or
// the API server rejects the Certificate). Findings are sorted by key.
func ParseAnnotations(ann map[string]string) (Settings, []annotations.Finding) {
	p := &annotationParser{ann: ann}
	p.issuer()
	p.names()
	p.subject()
	p.lifetime()
	p.keyAndUsages()
	p.secretTemplate()
	p.acme()
	if _, ok := ann[annotations.CertManagerURISANs]; ok {
		p.find(annotations.CertManagerURISANs, annotations.Unsupported,
			"cert-manager's shims do not read it (it writes it on issued Secrets); it has no effect on the Certificate")
	}
	slices.SortStableFunc(p.findings, func(a, b annotations.Finding) int { return cmp.Compare(a.Key, b.Key) })
	return p.s, p.findings
}

// Invalid reports whether findings hold a value cert-manager refuses.
func Invalid(findings []annotations.Finding) bool {
	return slices.ContainsFunc(findings, func(f annotations.Finding) bool { return f.Kind == annotations.Invalid })
}

type annotationParser struct {
	ann      map[string]string
	s        Settings
	findings []annotations.Finding
}

func (p *annotationParser) find(key string, kind annotations.FindingKind, format string, args ...any) {
	p.findings = append(p.findings, annotations.Finding{Key: key, Kind: kind, Message: fmt.Sprintf(format, args...)})
}

func (p *annotationParser) invalid(key, format string, args ...any) {
	p.find(key, annotations.Invalid, format, args...)
}

func (p *annotationParser) issuer() {
	name, issuer := p.ann[annotations.CertManagerIssuer]
	clusterName, cluster := p.ann[annotations.CertManagerClusterIssuer]
	kind, hasKind := p.ann[annotations.CertManagerIssuerKind]
	group, hasGroup := p.ann[annotations.CertManagerIssuerGroup]
	p.s.Requested = issuer || cluster
	switch {
	case cluster:
		p.s.Issuer = IssuerRef{Name: clusterName, Kind: KindClusterIssuer}
	case issuer:
		p.s.Issuer = IssuerRef{Name: name, Kind: KindIssuer}
	}
	if hasKind {
		p.s.Issuer.Kind = kind
	}
	if hasGroup {
		p.s.Issuer.Group = group
	}
	if issuer && cluster {
		p.invalid(annotations.CertManagerClusterIssuer, "both %s and %s are set", annotations.CertManagerIssuer, annotations.CertManagerClusterIssuer)
	}
	if cluster && hasKind {
		p.invalid(annotations.CertManagerIssuerKind, "may not be set with %s", annotations.CertManagerClusterIssuer)
	}
	if cluster && hasGroup {
		p.invalid(annotations.CertManagerIssuerGroup, "may not be set with %s", annotations.CertManagerClusterIssuer)
	}
	switch {
	case cluster && clusterName == "":
		p.invalid(annotations.CertManagerClusterIssuer, "the issuer name is empty")
	case issuer && !cluster && name == "":
		p.invalid(annotations.CertManagerIssuer, "the issuer name is empty")
	}
}

// names reads the subject alternative names and the common name.
func (p *annotationParser) names() {
	if v, ok := p.ann[annotations.CertManagerCommonName]; ok {
		p.s.CommonName = v
		if len(v) > 64 {
			p.find(annotations.CertManagerCommonName, annotations.Approximated, "longer than 64 characters: issuers may refuse it")
		}
	}
	if v := p.ann[annotations.CertManagerAltNames]; v != "" {
		p.s.AltNames = strings.Split(v, ",")
		for _, n := range p.s.AltNames {
			if n == "" || strings.ContainsAny(n, " \t") {
				p.invalid(annotations.CertManagerAltNames, "%q is not a DNS name", n)
			}
		}
	}
	if v := p.ann[annotations.CertManagerIPSANs]; v != "" {
		p.s.IPSANs = strings.Split(v, ",")
		for _, ip := range p.s.IPSANs {
			if net.ParseIP(ip) == nil {
				p.invalid(annotations.CertManagerIPSANs, "%q is not an IP address", ip)
			}
		}
	}
	if v, ok := p.ann[annotations.CertManagerURISANs]; ok && v != "" {
		p.s.URISANs = strings.Split(v, ",")
		for _, u := range p.s.URISANs {
			if parsed, err := url.Parse(u); err != nil || parsed.Scheme == "" {
				p.invalid(annotations.CertManagerURISANs, "%q is not an absolute URI", u)
			}
		}
	}
	if v, ok := p.ann[annotations.CertManagerEmailSANs]; ok {
		p.s.EmailSANs = strings.Split(v, ",")
		for _, e := range p.s.EmailSANs {
			if !strings.Contains(e, "@") {
				p.invalid(annotations.CertManagerEmailSANs, "%q is not an email address", e)
			}
		}
	}
}

// subject reads the subject-* annotations, comma-separated values with CSV quoting.
func (p *annotationParser) subject() {
	var sub Subject
	fields := []struct {
		key string
		to  *[]string
	}{
		{annotations.CertManagerSubjectOrganizations, &sub.Organizations},
		{annotations.CertManagerSubjectOrganizationalUnits, &sub.OrganizationalUnits},
		{annotations.CertManagerSubjectCountries, &sub.Countries},
		{annotations.CertManagerSubjectProvinces, &sub.Provinces},
		{annotations.CertManagerSubjectLocalities, &sub.Localities},
		{annotations.CertManagerSubjectPostalCodes, &sub.PostalCodes},
		{annotations.CertManagerSubjectStreetAddresses, &sub.StreetAddresses},
	}
	set := false
	for _, f := range fields {
		v, ok := p.ann[f.key]
		if !ok {
			continue
		}
		values, err := splitCSV(v)
		if err != nil {
			p.invalid(f.key, "%v", err)
		}
		*f.to, set = values, true
	}
	if v, ok := p.ann[annotations.CertManagerSubjectSerialNumber]; ok {
		sub.SerialNumber, set = v, true
	}
	if set {
		p.s.Subject = &sub
	}
}

// splitCSV splits one line of comma-separated values, quotes allowed.
func splitCSV(v string) ([]string, error) {
	records, err := csv.NewReader(strings.NewReader(v)).ReadAll()
	switch {
	case err != nil:
		return nil, fmt.Errorf("not comma-separated values: %w", err)
	case len(records) != 1:
		return nil, fmt.Errorf("want one line of comma-separated values, got %d", len(records))
	}
	return records[0], nil
}

// lifetime reads duration, renew-before and renew-before-percentage and checks them together, as
// cert-manager's validation does.
func (p *annotationParser) lifetime() {
	p.s.Duration = p.duration(annotations.CertManagerDuration)
	p.s.RenewBefore = p.duration(annotations.CertManagerRenewBefore)
	p.s.RenewBeforePercentage = p.whole(annotations.CertManagerRenewBeforePercentage)
	duration := DefaultDuration
	if d := p.s.Duration; d != nil {
		duration = d.Duration
		if duration < MinimumDuration {
			p.invalid(annotations.CertManagerDuration, "%s is shorter than cert-manager's minimum of %s", duration, MinimumDuration)
		}
	}
	if rb := p.s.RenewBefore; rb != nil {
		switch {
		case p.s.RenewBeforePercentage != nil:
			p.invalid(annotations.CertManagerRenewBefore, "may not be set with %s", annotations.CertManagerRenewBeforePercentage)
		case rb.Duration < MinimumRenewBefore:
			p.invalid(annotations.CertManagerRenewBefore, "%s is shorter than cert-manager's minimum of %s", rb.Duration, MinimumRenewBefore)
		case rb.Duration >= duration:
			p.invalid(annotations.CertManagerRenewBefore, "%s is not shorter than the duration %s", rb.Duration, duration)
		}
	}
	if pct := p.s.RenewBeforePercentage; pct != nil && p.s.RenewBefore == nil {
		rb := time.Duration(float64(duration) * float64(100-*pct) / 100)
		if rb < MinimumRenewBefore || rb >= duration {
			p.invalid(annotations.CertManagerRenewBeforePercentage, "%d%% of %s leaves %s before renewal; want at least %s and less than the duration",
				*pct, duration, rb, MinimumRenewBefore)
		}
	}
	if limit := p.whole(annotations.CertManagerRevisionHistoryLimit); limit != nil {
		p.s.RevisionHistoryLimit = limit
		if *limit < 1 {
			p.invalid(annotations.CertManagerRevisionHistoryLimit, "%d is not a positive number", *limit)
		}
	}
}

func (p *annotationParser) duration(key string) *metav1.Duration {
	v, ok := p.ann[key]
	if !ok {
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		p.invalid(key, "%q is not a duration (for example 2160h): %v", v, err)
		return nil
	}
	return &metav1.Duration{Duration: d}
}

func (p *annotationParser) whole(key string) *int32 {
	v, ok := p.ann[key]
	if !ok {
		return nil
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		p.invalid(key, "%q is not a whole number", v)
		return nil
	}
	i := int32(n)
	return &i
}

// keyAndUsages reads the key usages and the private-key-* annotations.
func (p *annotationParser) keyAndUsages() {
	if v, ok := p.ann[annotations.CertManagerUsages]; ok {
		for _, u := range strings.Split(v, ",") {
			u = strings.Trim(u, " ")
			if !usages[u] {
				p.invalid(annotations.CertManagerUsages, "%q is not a key usage cert-manager knows", u)
			}
			p.s.Usages = append(p.s.Usages, u)
		}
	}
	var key PrivateKey
	set := false
	oneOf := func(annotation string, to *string, allowed ...string) {
		if v, ok := p.ann[annotation]; ok {
			*to, set = v, true
			if !slices.Contains(allowed, v) {
				p.invalid(annotation, "%q is not one of %s", v, strings.Join(allowed, ", "))
			}
		}
	}
	oneOf(annotations.CertManagerPrivateKeyAlgorithm, &key.Algorithm, "RSA", "ECDSA", "Ed25519")
	oneOf(annotations.CertManagerPrivateKeyEncoding, &key.Encoding, "PKCS1", "PKCS8")
	oneOf(annotations.CertManagerPrivateKeyRotationPolicy, &key.RotationPolicy, "Never", "Always")
	if size := p.whole(annotations.CertManagerPrivateKeySize); size != nil {
		key.Size, set = int(*size), true
		p.checkKeySize(cmp.Or(key.Algorithm, "RSA"), key.Size)
	}
	if set {
		p.s.PrivateKey = &key
	}
}

func (p *annotationParser) checkKeySize(algorithm string, size int) {
	switch {
	case algorithm == "RSA" && (size < 2048 || size > 8192):
		p.invalid(annotations.CertManagerPrivateKeySize, "%d is not an RSA key size from 2048 to 8192", size)
	case algorithm == "ECDSA" && size != 256 && size != 384 && size != 521:
		p.invalid(annotations.CertManagerPrivateKeySize, "%d is not an ECDSA key size (256, 384 or 521)", size)
	}
}

// secretTemplate reads the JSON of cert-manager.io/secret-template.
func (p *annotationParser) secretTemplate() {
	v, ok := p.ann[annotations.CertManagerSecretTemplate]
	if !ok {
		return
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(v)))
	dec.DisallowUnknownFields()
	var tmpl SecretTemplate
	if err := dec.Decode(&tmpl); err != nil {
		p.invalid(annotations.CertManagerSecretTemplate, "not a secretTemplate in JSON: %v", err)
		return
	}
	for k := range tmpl.Annotations {
		if strings.HasPrefix(k, annotations.CertManagerPrefix) {
			p.invalid(annotations.CertManagerSecretTemplate, "annotation %s: cert-manager.io/ annotations are cert-manager's own", k)
		}
	}
	if len(tmpl.Annotations) > 0 || len(tmpl.Labels) > 0 {
		p.s.SecretTemplate = &tmpl
	}
}

// acme reads the ACME HTTP-01 annotations and the Gateway listeners to leave out.
func (p *annotationParser) acme() {
	if v, ok := p.ann[annotations.ACMEHTTP01EditInPlace]; ok {
		p.s.EditInPlace = v == "true"
		if v != "true" && v != "false" {
			p.find(annotations.ACMEHTTP01EditInPlace, annotations.Approximated, "%q is not \"true\": taken as false", v)
		}
	}
	p.s.HTTP01IngressClass = p.ann[annotations.ACMEHTTP01IngressClass]
	p.s.HTTP01IngressClassName = p.ann[annotations.ACMEHTTP01IngressClassName]
	if v, ok := p.ann[annotations.CertManagerIgnoreTLSListeners]; ok {
		for _, l := range strings.Split(v, ",") {
			if l = strings.TrimSpace(l); l != "" {
				p.s.IgnoreTLSListeners = append(p.s.IgnoreTLSListeners, l)
			}
		}
	}
}
