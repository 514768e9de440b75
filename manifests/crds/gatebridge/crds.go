// Package gatebridgecrds holds the CRDs of gatebridge's own API (api/v1alpha1), for installing and
// tests.
package gatebridgecrds

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
)

//go:embed *.yaml
var files embed.FS

// Bundle returns every CRD of gatebridge's API as one multi-document YAML stream, in file name order.
func Bundle() ([]byte, error) {
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		return nil, fmt.Errorf("read gatebridge crds: %w", err)
	}
	var buf bytes.Buffer
	for _, e := range entries {
		b, err := files.ReadFile(e.Name())
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", e.Name(), err)
		}
		buf.WriteString("---\n")
		buf.Write(bytes.TrimSpace(b))
		buf.WriteString("\n")
	}
	return buf.Bytes(), nil
}
