#!/bin/sh
# update.sh VERSION: move the tools module to Kubernetes VERSION (for example v1.37.1): pin every staging
# module that kubernetes' own go.mod replaces with ./staging/... to the matching v0.x.y, require the
# three commands as tools, and tidy. Then set kubetest.Version to the same VERSION.
set -eu

GO=${GO:-go}
version=${1:?usage: update.sh VERSION (for example v1.37.0)}
staging=v0.${version#v1.}
cd "$(dirname "$0")"
export GOWORK=off GOFLAGS=-mod=mod

gomod=$("$GO" mod download -json "k8s.io/kubernetes@$version" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
[ -n "$gomod" ] || { echo "update: no go.mod for k8s.io/kubernetes@$version" >&2; exit 1; }

sed -n '1,/^go /p' go.mod >go.mod.new
printf '\nreplace (\n' >>go.mod.new
awk -v v="$staging" '/^replace \(/ {r = 1; next} r && /^\)/ {r = 0} r && /=> \.\/staging\// {print "\t" $1 " => " $1 " " v}' "$gomod" >>go.mod.new
printf ')\n' >>go.mod.new
mv go.mod.new go.mod
rm -f go.sum

etcd=$(awk '$1 == "go.etcd.io/etcd/server/v3" {print $2}' "$gomod")
"$GO" get -tool "k8s.io/kubernetes/cmd/kube-apiserver@$version" "k8s.io/kubernetes/cmd/kube-controller-manager@$version" "go.etcd.io/etcd/server/v3@$etcd"
"$GO" mod tidy
echo "update: kubernetes $version, staging modules $staging, etcd $etcd" >&2
