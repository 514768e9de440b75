package envoyxds

import (
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	istionet "istio.io/api/networking/v1"
)

// CASecretSuffix ends the SDS name of the CA certificates of a credential ("namespace/name-cacert"),
// as Istio names them: the credential's own name is its certificate and key.
const CASecretSuffix = "-cacert"

// upstreamSecret is an SDS secret some cluster loads: the certificate and key of a credential, or
// (ca) the CA certificates of its ca.crt.
type upstreamSecret struct {
	credential string
	ca         bool
}

// upstreamTLS is what a cluster's ClientTLSSettings make of its connections: nothing (no settings,
// DISABLE), or a TLS transport socket with, as Istio does when no sni is given, HTTP options that take
// the SNI from each request's Host (and check the certificate against it when no subjectAltNames are
// given and the certificate is verified). usable is false when the settings cannot be honoured:
// ISTIO_MUTUAL; file paths on the proxy (clientCertificate, privateKey, caCertificates: gatebridge
// serves material over SDS only); a credentialName without the material it needs (MUTUAL: a
// certificate and key; unless insecureSkipVerify: CA certificates); or verification without a
// credentialName, which would need the system's roots: Envoy does not implement system_root_certs, and
// a file on the proxy cannot be checked before it is pushed. Such a cluster must not fall back to
// clear text.
func (b *builder) upstreamTLS(t *istionet.ClientTLSSettings, http2 bool) (ts *corev3.TransportSocket, autoSNI *corev3.UpstreamHttpProtocolOptions, usable bool) {
	mode := t.GetMode()
	switch {
	case t == nil || mode == istionet.ClientTLSSettings_DISABLE:
		return nil, nil, true
	case mode == istionet.ClientTLSSettings_ISTIO_MUTUAL, t.ClientCertificate != "", t.PrivateKey != "", t.CaCertificates != "":
		return nil, nil, false
	}
	common := &tlsv3.CommonTlsContext{}
	if http2 {
		common.AlpnProtocols = []string{"h2"}
	}
	cred := t.CredentialName
	m := b.material[cred]
	if cred != "" && m == nil {
		return nil, nil, false
	}
	if mode == istionet.ClientTLSSettings_MUTUAL {
		if m == nil || len(m.Cert) == 0 || len(m.Key) == 0 {
			return nil, nil, false
		}
		common.TlsCertificateSdsSecretConfigs = []*tlsv3.SdsSecretConfig{{Name: cred, SdsConfig: adsConfigSource()}}
		b.upstreamSecrets[cred] = upstreamSecret{credential: cred}
	}
	verify := !t.GetInsecureSkipVerify().GetValue()
	if verify {
		if m == nil || len(m.CA) == 0 {
			return nil, nil, false // Envoy does not implement system_root_certs: nothing to verify against
		}
		common.ValidationContextType = b.caValidation(cred, &tlsv3.CertificateValidationContext{MatchTypedSubjectAltNames: sanMatchers(t.SubjectAltNames)})
	}
	if t.Sni == "" {
		autoSNI = &corev3.UpstreamHttpProtocolOptions{AutoSni: true, AutoSanValidation: verify && len(t.SubjectAltNames) == 0}
	}
	return tlsSocket(&tlsv3.UpstreamTlsContext{CommonTlsContext: common, Sni: t.Sni}), autoSNI, true
}

// caValidation verifies peer certificates with the CA certificates of a credential, fetched over SDS
// (and served by buildSecrets), and with the checks of def.
func (b *builder) caValidation(cred string, def *tlsv3.CertificateValidationContext) *tlsv3.CommonTlsContext_CombinedValidationContext {
	name := cred + CASecretSuffix
	b.upstreamSecrets[name] = upstreamSecret{credential: cred, ca: true}
	return &tlsv3.CommonTlsContext_CombinedValidationContext{CombinedValidationContext: &tlsv3.CommonTlsContext_CombinedCertificateValidationContext{
		DefaultValidationContext:         def,
		ValidationContextSdsSecretConfig: &tlsv3.SdsSecretConfig{Name: name, SdsConfig: adsConfigSource()},
	}}
}

// sanMatchers match the certificate of an endpoint against subjectAltNames: a name with a scheme
// ("spiffe://...") against the URI names, any other against the DNS names.
func sanMatchers(names []string) []*tlsv3.SubjectAltNameMatcher {
	var out []*tlsv3.SubjectAltNameMatcher
	for _, n := range names {
		typ := tlsv3.SubjectAltNameMatcher_DNS
		if strings.Contains(n, "://") {
			typ = tlsv3.SubjectAltNameMatcher_URI
		}
		out = append(out, &tlsv3.SubjectAltNameMatcher{SanType: typ, Matcher: &matcherv3.StringMatcher{MatchPattern: &matcherv3.StringMatcher_Exact{Exact: n}}})
	}
	return out
}
