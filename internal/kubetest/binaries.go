package kubetest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Version is the Kubernetes version hack/k8s builds; the cache directory is named after it.
const Version = "v1.37.0"

// BinEnv names the environment variable that points at a directory holding kube-apiserver,
// kube-controller-manager and etcd, instead of the cache that `make k8s` fills.
const BinEnv = "GATEBRIDGE_K8S_BIN"

var binaries = []string{"etcd", "kube-apiserver", "kube-controller-manager"}

// CacheDir is the directory hack/k8s/build.sh builds into: $GATEBRIDGE_CACHE, else
// $XDG_CACHE_HOME/gatebridge, else $HOME/.cache/gatebridge, then k8s-<Version>.
func CacheDir() (string, error) { return ToolCacheDir("k8s-" + Version) }

// ToolCacheDir is the folder of one built tool under gatebridge's cache: $GATEBRIDGE_CACHE, else
// $XDG_CACHE_HOME/gatebridge, else $HOME/.cache/gatebridge, then name (the hack/*/build.sh scripts
// follow the same rule).
func ToolCacheDir(name string) (string, error) {
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
	return filepath.Join(base, name), nil
}

// BinDir returns the directory of the control plane binaries ($GATEBRIDGE_K8S_BIN or CacheDir), or an
// error telling how to build them when one is missing.
func BinDir() (string, error) {
	dir, err := ToolDir(BinEnv, CacheDir, binaries...)
	if err != nil {
		return "", fmt.Errorf("kubernetes %s binaries (run `make k8s` to build them, or set %s): %w", Version, BinEnv, err)
	}
	return dir, nil
}

// ToolDir returns the folder named by the environment variable env, else cacheDir(), after checking
// that each of binaries is an executable file there.
func ToolDir(env string, cacheDir func() (string, error), binaries ...string) (string, error) {
	dir := os.Getenv(env)
	if dir == "" {
		d, err := cacheDir()
		if err != nil {
			return "", err
		}
		dir = d
	}
	var missing []error
	for _, b := range binaries {
		st, err := os.Stat(filepath.Join(dir, b))
		switch {
		case err != nil:
			missing = append(missing, err)
		case st.IsDir() || st.Mode()&0o111 == 0:
			missing = append(missing, fmt.Errorf("%s is not an executable file", b))
		}
	}
	if len(missing) > 0 {
		return dir, fmt.Errorf("missing in %s: %w", dir, errors.Join(missing...))
	}
	return dir, nil
}
