#!/bin/sh
# build.sh: build the cert-manager runner of this tools module (main.go), Pebble and
# pebble-challtestsrv for the tests, at the versions go.mod pins, into a cache outside the repository:
#
#   ${GATEBRIDGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gatebridge}/cert-manager-<version>-<key>/
#
# with cert-manager's CRDs (deploy/crds of the module) in crds/. <key> is the start of the SHA-256 of
# this folder's sources (build.sh, go.mod, go.sum, *.go, in byte order of their names, concatenated):
# an edit of the runner or another Pebble version builds into a new directory (seconds once Go's build
# cache is warm) and never replaces a runner that tests of an older checkout may be starting.
# internal/cmtest computes the same key to find it. A cold build takes about 6-7 minutes on 2 cores,
# most of it cert-manager's ACME DNS-01 provider SDKs. Prints the directory on the last line of
# stdout; tests find it by itself or through GATEBRIDGE_CERT_MANAGER_BIN.
#
# With --print-dir it prints the directory and builds nothing.
set -eu

GO=${GO:-go}
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

# The tools module builds on its own: no workspace, only the versions in go.mod and go.sum.
export GOWORK=off GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0

version=$("$GO" list -m -f '{{.Version}}' github.com/cert-manager/cert-manager)
pebble_version=$("$GO" list -m -f '{{.Version}}' github.com/letsencrypt/pebble/v2)
cache=${GATEBRIDGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gatebridge}
bins="cert-manager pebble pebble-challtestsrv"
sources=$(LC_ALL=C ls build.sh go.mod go.sum *.go | LC_ALL=C sort)
# shellcheck disable=SC2086 # the names hold no blanks
stamp=$(cat $sources | sha256sum | cut -d' ' -f1)
dest="$cache/cert-manager-$version-$(printf %s "$stamp" | cut -c1-12)"

if [ "${1:-}" = --print-dir ]; then
	echo "$dest"
	exit 0
fi

up_to_date() {
	for b in $bins; do
		[ -x "$dest/$b" ] || return 1
	done
	[ -d "$dest/crds" ] && [ "$(cat "$dest/.stamp" 2>/dev/null)" = "$stamp" ]
}

if up_to_date; then
	echo "cert-manager: $version and pebble $pebble_version already built in $dest" >&2
	echo "$dest"
	exit 0
fi

mkdir -p "$cache"
tmp=$(mktemp -d "$cache/.build-cert-manager-$version.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

echo "cert-manager: building the runner of cert-manager $version, pebble $pebble_version" >&2
echo "cert-manager: into $dest (cold: about 6-7 minutes on 2 cores)" >&2
start=$(date +%s)
"$GO" mod download github.com/cert-manager/cert-manager
"$GO" build -trimpath -ldflags "-s -w" -o "$tmp/cert-manager" .
"$GO" build -trimpath -ldflags "-s -w" -o "$tmp/" \
	github.com/letsencrypt/pebble/v2/cmd/pebble \
	github.com/letsencrypt/pebble/v2/cmd/pebble-challtestsrv

moddir=$("$GO" list -m -f '{{.Dir}}' github.com/cert-manager/cert-manager)
mkdir -p "$tmp/crds"
cp "$moddir"/deploy/crds/*.yaml "$tmp/crds/"
chmod 0644 "$tmp"/crds/*.yaml
"$tmp/cert-manager" --version >&2

# Move into place only when everything built, so that an interrupted build is never mistaken for a
# finished one; the stamp goes last. A directory of this key holds the same sources' build: replacing
# its files (a build after an interrupted one) changes nothing for a runner already started.
mkdir -p "$dest"
rm -f "$dest/.stamp"
for b in $bins; do
	mv "$tmp/$b" "$dest/$b"
done
rm -rf "$dest/crds"
mv "$tmp/crds" "$dest/crds"
echo "$stamp" >"$dest/.stamp"
echo "cert-manager: built in $(($(date +%s) - start)) s: $dest" >&2
echo "$dest"
