package envoyxds

import (
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	"google.golang.org/protobuf/types/known/wrapperspb"
	istionet "istio.io/api/networking/v1"
)

// clientCertValidation makes a server's TLS context verify client certificates as its mode asks.
// MUTUAL requires a certificate the CA certificates of caCertCredentialName verify (and, when given,
// one of subjectAltNames). OPTIONAL_MUTUAL asks for a certificate but lets in a client without one or
// whose certificate does not verify: that is what Gateway API's AllowInsecureFallback, its only
// source, means; the backend decides. It returns false when verification is asked for but cannot be
// given: no caCertCredentialName with CA material (gatebridge serves material over SDS only, so file
// paths on the proxy are not read). Such a server gets no filter chain rather than one that lets
// anyone in.
func (b *builder) clientCertValidation(ctx *tlsv3.DownstreamTlsContext, t *istionet.ServerTLSSettings) bool {
	mode := t.GetMode()
	if mode != istionet.ServerTLSSettings_MUTUAL && mode != istionet.ServerTLSSettings_OPTIONAL_MUTUAL {
		return true
	}
	cred := t.GetCaCertCredentialName()
	if m := b.material[cred]; cred == "" || m == nil || len(m.CA) == 0 || t.CaCertificates != "" {
		return false
	}
	def := &tlsv3.CertificateValidationContext{MatchTypedSubjectAltNames: sanMatchers(t.SubjectAltNames)}
	if mode == istionet.ServerTLSSettings_OPTIONAL_MUTUAL {
		def.TrustChainVerification = tlsv3.CertificateValidationContext_ACCEPT_UNTRUSTED
	}
	ctx.RequireClientCertificate = wrapperspb.Bool(mode == istionet.ServerTLSSettings_MUTUAL)
	ctx.CommonTlsContext.ValidationContextType = b.caValidation(cred, def)
	return true
}
