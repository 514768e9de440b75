package kubelet

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// subscriptPath matches the fieldRef paths of one label or annotation: metadata.labels['app'].
var subscriptPath = regexp.MustCompile(`^metadata\.(labels|annotations)\['(.+)'\]$`)

// containerEnv resolves the environment of a container as a kubelet would: values, fields of the pod,
// and keys of Secrets and ConfigMaps (errNotYet while one is missing). A value naming a path under a
// volume mount is rewritten to where the volume is on this machine, since the process runs without a
// mount namespace of its own.
func (k *Kubelet) containerEnv(ctx context.Context, pod *corev1.Pod, c *corev1.Container, ip netip.Addr, volumesDir string) (map[string]string, error) {
	if len(c.EnvFrom) > 0 {
		return nil, fmt.Errorf("envFrom is %w", errUnsupported)
	}
	env := make(map[string]string, len(c.Env))
	for _, e := range c.Env {
		v, err := k.envValue(ctx, pod, e, ip)
		if err != nil {
			return nil, fmt.Errorf("env %s: %w", e.Name, err)
		}
		if p, ok := hostPath(c, volumesDir, v); ok {
			v = p
		}
		env[e.Name] = v
	}
	return env, nil
}

func (k *Kubelet) envValue(ctx context.Context, pod *corev1.Pod, e corev1.EnvVar, ip netip.Addr) (string, error) {
	src := e.ValueFrom
	switch {
	case src == nil:
		return e.Value, nil
	case src.FieldRef != nil:
		return fieldValue(pod, src.FieldRef.FieldPath, ip, k.hostIP)
	case src.SecretKeyRef != nil:
		ref := src.SecretKeyRef
		s, err := k.opts.Client.CoreV1().Secrets(pod.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
		if err != nil {
			return "", absent(err, ref.Optional, "secret "+ref.Name)
		}
		if v, ok := s.Data[ref.Key]; ok {
			return string(v), nil
		}
		return "", absent(nil, ref.Optional, "key "+ref.Key+" of secret "+ref.Name)
	case src.ConfigMapKeyRef != nil:
		ref := src.ConfigMapKeyRef
		cm, err := k.opts.Client.CoreV1().ConfigMaps(pod.Namespace).Get(ctx, ref.Name, metav1.GetOptions{})
		if err != nil {
			return "", absent(err, ref.Optional, "configmap "+ref.Name)
		}
		if v, ok := cm.Data[ref.Key]; ok {
			return v, nil
		}
		return "", absent(nil, ref.Optional, "key "+ref.Key+" of configmap "+ref.Name)
	}
	return "", fmt.Errorf("this kind of valueFrom is %w", errUnsupported)
}

// fieldValue returns a field of the pod named by a fieldRef path.
func fieldValue(pod *corev1.Pod, path string, ip netip.Addr, hostIP string) (string, error) {
	switch path {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return string(pod.UID), nil
	case "spec.nodeName":
		return pod.Spec.NodeName, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.podIP":
		return ip.String(), nil
	case "status.hostIP":
		return hostIP, nil
	}
	if m := subscriptPath.FindStringSubmatch(path); m != nil {
		if m[1] == "labels" {
			return pod.Labels[m[2]], nil
		}
		return pod.Annotations[m[2]], nil
	}
	return "", fmt.Errorf("fieldRef %s is %w", path, errUnsupported)
}
