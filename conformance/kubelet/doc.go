// Package kubelet is a process kubelet for the Gateway API conformance suite: it registers one Ready
// Node, binds pending pods to it and runs the suite's echo backend as a local process per pod, on a pod
// address of its own, with the pod's environment and Secret and ConfigMap volumes as files.
package kubelet
