package convert

import (
	"maps"
	"slices"
	"strings"

	istionet "istio.io/api/networking/v1"

	"github.com/gatebridge/gatebridge/model"
)

// secretErr is why the TLS Secret namespace/name cannot be served (it is missing, or its material is
// unusable: see certs.Check), or nil. Whoever names such a Secret treats it as a broken reference.
func (t *translator) secretErr(namespace, name string) error {
	return t.secrets.Err(namespace + "/" + name)
}

// addSecrets gives the snapshot the TLS material of every credential its servers name (only usable
// Secrets are ever named, so each has material), the CA bundles that verify their clients, and the
// material of every credential its DestinationRules name for TLS origination (see clientMaterial).
// Translate sorts them with the rest of the snapshot.
func (t *translator) addSecrets() {
	var names []string
	byName := map[string]model.TLSSecret{}
	for _, g := range t.result.Snapshot.Gateways {
		for _, srv := range g.Spec.GetServers() {
			names = append(names, model.Credentials(srv.GetTls())...)
			if m, ok := t.frontendCAs[srv.GetTls().GetCaCertCredentialName()]; ok {
				byName[m.Name] = m
			}
		}
	}
	slices.Sort(names)
	served, _ := t.secrets.Material(slices.Compact(names))
	for _, s := range served {
		byName[s.Name] = s
	}
	t.clientMaterial(byName)
	t.result.Snapshot.Secrets = slices.Collect(maps.Values(byName))
}

// clientMaterial adds to byName the CA certificates (and, for MUTUAL, the certificate and key) of each
// credential a DestinationRule's TLS settings name. A Secret that cannot give what its mode needs is
// left out (and so is verification without a credential: see envoyxds upstreamTLS), with a warning on
// the objects the rule was built from: Envoy then fails that backend's requests (503) instead of
// sending them in clear text, and every other backend keeps working.
func (t *translator) clientMaterial(byName map[string]model.TLSSecret) {
	for _, dr := range t.result.Snapshot.DestinationRules {
		for _, tls := range model.ClientTLS(dr.Spec) {
			mode := tls.GetMode()
			if mode != istionet.ClientTLSSettings_SIMPLE && mode != istionet.ClientTLSSettings_MUTUAL {
				continue
			}
			if tls.CredentialName == "" {
				if !tls.GetInsecureSkipVerify().GetValue() {
					for _, src := range sourceRefs(dr.Meta) {
						t.note(src, NoteWarning, "UnsupportedBackendTLS", "TLS to %s would verify the backend against the system's CA certificates, which Envoy cannot do; its requests fail until CA certificates are given", dr.Spec.Host)
					}
				}
				continue
			}
			if strings.HasPrefix(tls.CredentialName, policyCredentialPrefix) {
				if m, ok := t.policyCAs[tls.CredentialName]; ok {
					byName[m.Name] = m
				}
				continue // the policy's status says why it has no CA
			}
			m, err := t.secrets.ClientMaterial(tls.CredentialName, mode == istionet.ClientTLSSettings_MUTUAL)
			if err != nil {
				for _, src := range sourceRefs(dr.Meta) {
					t.note(src, NoteWarning, "InvalidBackendTLSSecret", "TLS to %s: %v; its requests fail until the Secret is fixed", dr.Spec.Host, err)
				}
				continue
			}
			have := byName[m.Name]
			have.Name, have.CA = m.Name, m.CA
			if len(m.Cert) > 0 {
				have.Cert, have.Key = m.Cert, m.Key
			}
			byName[m.Name] = have
		}
	}
}

// sourceRefs are the objects ("Kind/namespace/name") a model object was built from.
func sourceRefs(m model.Meta) []ObjectRef {
	var out []ObjectRef
	for _, s := range m.Sources {
		if parts := strings.SplitN(s, "/", 3); len(parts) == 3 {
			out = append(out, ObjectRef{Kind: parts[0], Namespace: parts[1], Name: parts[2]})
		}
	}
	return out
}
