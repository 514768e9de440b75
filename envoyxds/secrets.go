package envoyxds

import (
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
)

// buildSecrets serves, over SDS, the TLS material of every credential the fleet's listeners name.
func (b *builder) buildSecrets() {
	named := map[string]bool{}
	for _, l := range b.res.Listeners {
		for _, fc := range l.FilterChains {
			for _, name := range sdsNames(fc) {
				named[name] = true
			}
		}
	}
	for _, s := range b.snap.Secrets {
		if !named[s.Name] {
			continue
		}
		b.res.Secrets = append(b.res.Secrets, &tlsv3.Secret{Name: s.Name, Type: &tlsv3.Secret_TlsCertificate{TlsCertificate: &tlsv3.TlsCertificate{
			CertificateChain: &corev3.DataSource{Specifier: &corev3.DataSource_InlineBytes{InlineBytes: s.Cert}},
			PrivateKey:       &corev3.DataSource{Specifier: &corev3.DataSource_InlineBytes{InlineBytes: s.Key}},
		}}})
	}
}
