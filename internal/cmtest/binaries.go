package cmtest

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

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
// Kubernetes binaries), then cert-manager-<Version>-<RunnerKey>, so that a changed runner is looked for
// in a directory of its own.
func CacheDir() (string, error) {
	key, err := RunnerKey()
	if err != nil {
		return "", err
	}
	return kubetest.ToolCacheDir("cert-manager-" + Version + "-" + key)
}

// mainModule is the module whose hack/certmanager RunnerKey reads.
const mainModule = "github.com/gatebridge/gatebridge"

// RunnerKey is the key of the runner's build, as hack/certmanager/build.sh computes it: the first 12
// hex digits of the SHA-256 of the folder's build.sh, go.mod, go.sum and *.go files, concatenated in
// byte order of their names. The folder is found from the working directory (a package of the main
// module, as under go test).
func RunnerKey() (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, "hack", "certmanager")
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return "", err
	}
	for _, f := range []string{"build.sh", "go.mod", "go.sum"} {
		names = append(names, filepath.Join(dir, f))
	}
	slices.Sort(names)
	h := sha256.New()
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			return "", fmt.Errorf("runner key: %w", err)
		}
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

// moduleRoot walks up from the working directory to the directory of the main module's go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if isMainModule(filepath.Join(dir, "go.mod")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("runner key: not inside module " + mainModule + " (set " + BinEnv + ")")
		}
		dir = parent
	}
}

// isMainModule reports whether the go.mod at path declares mainModule.
func isMainModule(path string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if f := bytes.Fields(sc.Bytes()); len(f) == 2 && string(f[0]) == "module" {
			return string(f[1]) == mainModule
		}
	}
	return false
}

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
