package cmtest

import (
	"fmt"
	"path/filepath"

	"github.com/gatebridge/gatebridge/internal/kubetest"
)

// Version is the cert-manager version hack/certmanager builds; the cache directory is named after it.
const Version = "v1.21.2"

// BinEnv names the environment variable that points at a directory laid out as the cache that
// `make cert-manager` fills (cert-manager, pebble, pebble-challtestsrv, crds/).
const BinEnv = "GATEBRIDGE_CERT_MANAGER_BIN"

// Binary names in BinDir.
const (
	runnerBin       = "cert-manager"
	PebbleBin       = "pebble"
	ChallTestSrvBin = "pebble-challtestsrv"
)

// CacheDir is the directory hack/certmanager/build.sh builds into: gatebridge's cache (as for the
// Kubernetes binaries), then cert-manager-<Version>.
func CacheDir() (string, error) { return kubetest.ToolCacheDir("cert-manager-" + Version) }

// BinDir returns the directory of the cert-manager runner, Pebble and the CRDs ($GATEBRIDGE_CERT_MANAGER_BIN
// or CacheDir), or an error telling how to build them when one is missing.
func BinDir() (string, error) {
	dir, err := kubetest.ToolDir(BinEnv, CacheDir, runnerBin, PebbleBin, ChallTestSrvBin)
	if crds, gerr := filepath.Glob(filepath.Join(dir, "crds", "*.yaml")); err == nil && (gerr != nil || len(crds) == 0) {
		err = fmt.Errorf("no CRDs in %s", filepath.Join(dir, "crds"))
	}
	if err != nil {
		return "", fmt.Errorf("cert-manager %s (run `make cert-manager` to build it, or set %s): %w", Version, BinEnv, err)
	}
	return dir, nil
}
