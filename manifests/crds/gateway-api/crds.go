// Package gatewayapicrds holds the Gateway API CRDs of the version go.mod requires, copied unchanged
// from the sigs.k8s.io/gateway-api module (standard and experimental channels), for installing and tests.
package gatewayapicrds

//go:generate sh ../../../hack/gateway-api-crds.sh

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// Channel is a Gateway API release channel: a directory of this package.
type Channel string

// The two channels. Experimental is a superset of Standard; a cluster holds one or the other.
const (
	Standard     Channel = "standard"
	Experimental Channel = "experimental"
)

//go:embed standard/*.yaml experimental/*.yaml
var files embed.FS

// Files returns the names and contents of the manifests of a channel (the CRDs and the
// ValidatingAdmissionPolicy that guards upgrades), sorted by name, without kustomization files.
func Files(ch Channel) (map[string][]byte, error) {
	entries, err := fs.ReadDir(files, string(ch))
	if err != nil {
		return nil, fmt.Errorf("read gateway api channel %q: %w", ch, err)
	}
	out := make(map[string][]byte, len(entries))
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".yaml") || e.Name() == "kustomization.yaml" {
			continue
		}
		b, err := files.ReadFile(path.Join(string(ch), e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", e.Name(), err)
		}
		out[e.Name()] = b
	}
	return out, nil
}

// Bundle returns every manifest of a channel as one multi-document YAML stream, in file name order.
func Bundle(ch Channel) ([]byte, error) {
	m, err := Files(ch)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	for _, n := range names {
		buf.WriteString("---\n")
		buf.Write(bytes.TrimSpace(m[n]))
		buf.WriteString("\n")
	}
	return buf.Bytes(), nil
}
