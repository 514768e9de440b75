// Package manifests holds what installs gatebridge in a cluster (namespace, RBAC, the controller, the
// IngressClass and GatewayClass), the Envoy fleet of its IngressClass, and the generator of a fleet's
// manifests. The YAML files are the source: kubectl applies them as they are; Go reads them embedded.
package manifests

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"path"
)

//go:embed install/*.yaml fleets/*.yaml
var files embed.FS

// IngressFleetFile is the committed manifest of the Envoy fleet of the gatebridge IngressClass,
// relative to this package; IngressFleetOptions generate it.
const IngressFleetFile = "fleets/ingress-gatebridge.yaml"

// IngressFleetOptions are the options the committed Ingress fleet is generated with: the defaults of
// `gatebridge manifests envoy --fleet ingress-gatebridge`.
var IngressFleetOptions = FleetOptions{Fleet: "ingress-gatebridge"}

// Install returns the install manifests (manifests/install, in file name order, which is the order
// to apply them in) as one multi-document YAML stream.
func Install() ([]byte, error) {
	return bundle("install")
}

// IngressFleet returns the committed manifests of the Envoy fleet of the gatebridge IngressClass.
func IngressFleet() ([]byte, error) {
	b, err := files.ReadFile(IngressFleetFile)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", IngressFleetFile, err)
	}
	return b, nil
}

// bundle joins the YAML files of a directory, in name order (fs.ReadDir sorts), into one stream.
func bundle(dir string) ([]byte, error) {
	entries, err := fs.ReadDir(files, dir)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", dir, err)
	}
	var buf bytes.Buffer
	for _, e := range entries {
		b, err := files.ReadFile(path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", e.Name(), err)
		}
		buf.WriteString("---\n")
		buf.Write(bytes.TrimSpace(b))
		buf.WriteString("\n")
	}
	return buf.Bytes(), nil
}
