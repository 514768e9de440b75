package envoyxds

import (
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
)

// buildSecrets serves, over SDS, the TLS material of every credential the fleet's listeners and
// clusters name: a certificate and key, or the CA certificates of a credential (see CASecretSuffix).
func (b *builder) buildSecrets() {
	named := map[string]upstreamSecret{}
	for _, l := range b.res.Listeners {
		for _, fc := range l.FilterChains {
			certs, _ := sdsNames(fc) // their CA certificates are in upstreamSecrets
			for _, name := range certs {
				named[name] = upstreamSecret{credential: name}
			}
		}
	}
	for name, us := range b.upstreamSecrets {
		named[name] = us
	}
	for _, name := range sortedKeys(named) {
		us := named[name]
		m := b.material[us.credential]
		if m == nil {
			continue // listeners and clusters name only credentials with material
		}
		s := &tlsv3.Secret{Name: name, Type: &tlsv3.Secret_TlsCertificate{TlsCertificate: &tlsv3.TlsCertificate{
			CertificateChain: inlineBytes(m.Cert),
			PrivateKey:       inlineBytes(m.Key),
		}}}
		if us.ca {
			s.Type = &tlsv3.Secret_ValidationContext{ValidationContext: &tlsv3.CertificateValidationContext{TrustedCa: inlineBytes(m.CA)}}
		}
		b.res.Secrets = append(b.res.Secrets, s)
	}
}

func inlineBytes(b []byte) *corev3.DataSource {
	return &corev3.DataSource{Specifier: &corev3.DataSource_InlineBytes{InlineBytes: b}}
}
