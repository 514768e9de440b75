#!/bin/sh
# gateway-api-crds.sh: copy the Gateway API CRDs (standard and experimental channels) of the version
# go.mod requires from the sigs.k8s.io/gateway-api module into manifests/crds/gateway-api/, so that the
# copy in the repository always matches the Go types the controller is built with. Run from anywhere;
# `go generate ./manifests/...` runs it too.
set -eu

GO=${GO:-go}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

"$GO" mod download sigs.k8s.io/gateway-api
src=$("$GO" list -m -f '{{.Dir}}' sigs.k8s.io/gateway-api)
version=$("$GO" list -m -f '{{.Version}}' sigs.k8s.io/gateway-api)
dest=manifests/crds/gateway-api

for channel in standard experimental; do
	if [ ! -d "$src/config/crd/$channel" ]; then
		echo "gateway-api-crds: $src has no config/crd/$channel" >&2
		exit 1
	fi
	rm -rf "${dest:?}/$channel"
	mkdir -p "$dest/$channel"
	# Files in the module cache are read-only: copy the bytes, not the modes.
	for f in "$src/config/crd/$channel"/*.yaml; do
		cat "$f" >"$dest/$channel/$(basename "$f")"
	done
	echo "gateway-api-crds: $version $channel: $(ls "$dest/$channel" | wc -l) files in $dest/$channel" >&2
done
