package convert

import (
	"slices"

	"github.com/gatebridge/gatebridge/model"
)

// secretErr is why the TLS Secret namespace/name cannot be served (it is missing, or its material is
// unusable: see certs.Check), or nil. Whoever names such a Secret treats it as a broken reference.
func (t *translator) secretErr(namespace, name string) error {
	return t.secrets.Err(namespace + "/" + name)
}

// addSecrets gives the snapshot the TLS material of every credential its servers name. Only usable
// Secrets are ever named, so each has material.
func (t *translator) addSecrets() {
	var names []string
	for _, g := range t.result.Snapshot.Gateways {
		for _, srv := range g.Spec.GetServers() {
			names = append(names, model.Credentials(srv.GetTls())...)
		}
	}
	slices.Sort(names)
	t.result.Snapshot.Secrets, _ = t.secrets.Material(slices.Compact(names))
}
