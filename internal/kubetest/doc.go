// Package kubetest starts a real Kubernetes control plane for tests: etcd, kube-apiserver and optionally
// kube-controller-manager, built by `make k8s` into a cache outside the repository, on loopback ports.
package kubetest
