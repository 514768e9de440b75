#!/bin/sh
# build.sh: build kube-apiserver, kube-controller-manager and etcd for the integration tests, at the
# versions this module pins, into a cache outside the repository:
#
#   ${GATEBRIDGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gatebridge}/k8s-<version>/
#
# The directory is keyed by the Kubernetes version, so a version change builds anew and an existing
# directory with all three binaries is reused. A cold build takes about 20 CPU-minutes and 2.6 GB of
# memory. Prints the directory on the last line of stdout; tests find it by itself (see internal/kubetest)
# or through GATEBRIDGE_K8S_BIN.
set -eu

GO=${GO:-go}
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

# The tools module builds on its own: no workspace, only the versions in go.mod and go.sum.
export GOWORK=off GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0

version=$("$GO" list -m -f '{{.Version}}' k8s.io/kubernetes)
etcd_version=$("$GO" list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)
cache=${GATEBRIDGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gatebridge}
dest="$cache/k8s-$version"
bins="kube-apiserver kube-controller-manager etcd"

have_all() {
	for b in $bins; do
		[ -x "$dest/$b" ] || return 1
	done
}

if have_all; then
	echo "k8s: kubernetes $version and etcd $etcd_version already built in $dest" >&2
	echo "$dest"
	exit 0
fi

# gitVersion is what /version reports and what clients check for skew.
minor=$(echo "$version" | cut -d. -f2)
pkg=k8s.io/component-base/version
ldflags="-s -w -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"

mkdir -p "$cache"
tmp=$(mktemp -d "$cache/.build-$version.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

echo "k8s: building kubernetes $version (kube-apiserver, kube-controller-manager) and etcd $etcd_version" >&2
echo "k8s: into $dest (cold: about 20 CPU-minutes, 10-20 minutes on 2 cores)" >&2
start=$(date +%s)
"$GO" build -trimpath -ldflags "$ldflags" -o "$tmp/" \
	k8s.io/kubernetes/cmd/kube-apiserver \
	k8s.io/kubernetes/cmd/kube-controller-manager
"$GO" build -trimpath -ldflags "-s -w" -o "$tmp/etcd" go.etcd.io/etcd/server/v3

"$tmp/kube-apiserver" --version >&2
"$tmp/etcd" --version | head -n 1 >&2

# Move into place only when everything built, so that an interrupted build is never mistaken for a
# finished one.
mkdir -p "$dest"
for b in $bins; do
	mv "$tmp/$b" "$dest/$b"
done
echo "k8s: built in $(($(date +%s) - start)) s: $dest" >&2
echo "$dest"
