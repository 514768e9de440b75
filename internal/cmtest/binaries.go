package cmtest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
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

// CacheDir is the directory hack/certmanager/build.sh builds into: $GATEBRIDGE_CACHE, else
// $XDG_CACHE_HOME/gatebridge, else $HOME/.cache/gatebridge, then cert-manager-<Version>.
func CacheDir() (string, error) {
	base := os.Getenv("GATEBRIDGE_CACHE")
	if base == "" {
		xdg := os.Getenv("XDG_CACHE_HOME")
		if xdg == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("find the cache directory: %w", err)
			}
			xdg = filepath.Join(home, ".cache")
		}
		base = filepath.Join(xdg, "gatebridge")
	}
	return filepath.Join(base, "cert-manager-"+Version), nil
}

// BinDir returns the directory of the cert-manager runner, Pebble and the CRDs ($GATEBRIDGE_CERT_MANAGER_BIN
// or CacheDir), or an error telling how to build them when one is missing.
func BinDir() (string, error) {
	dir := os.Getenv(BinEnv)
	if dir == "" {
		d, err := CacheDir()
		if err != nil {
			return "", err
		}
		dir = d
	}
	var missing []error
	for _, b := range []string{runnerBin, PebbleBin, ChallTestSrvBin} {
		st, err := os.Stat(filepath.Join(dir, b))
		switch {
		case err != nil:
			missing = append(missing, err)
		case st.IsDir() || st.Mode()&0o111 == 0:
			missing = append(missing, fmt.Errorf("%s is not an executable file", b))
		}
	}
	if crds, err := filepath.Glob(filepath.Join(dir, "crds", "*.yaml")); err != nil || len(crds) == 0 {
		missing = append(missing, fmt.Errorf("no CRDs in %s", filepath.Join(dir, "crds")))
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("cert-manager %s missing in %s (run `make cert-manager` to build it, or set %s): %w",
			Version, dir, BinEnv, errors.Join(missing...))
	}
	return dir, nil
}
