package kubelet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// errNotYet says that something a pod needs (a Secret, a ConfigMap, a key) does not exist yet: the
// suite creates some after the Deployments that use them, so the kubelet waits, as a real one does.
var errNotYet = errors.New("not there yet")

// absent says what a missing Secret, ConfigMap or key (err nil or NotFound) means: nothing when it is
// optional (an empty value, no files), errNotYet otherwise. Any other error of getting it is returned.
func absent(err error, optional *bool, what string) error {
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("get %s: %w", what, err)
	}
	if optional != nil && *optional {
		return nil
	}
	return fmt.Errorf("%s: %w", what, errNotYet)
}

// serviceAccountVolume is the prefix of the projected volume the ServiceAccount admission adds to
// every pod; the echo backend never reads it, so it is left empty.
const serviceAccountVolume = "kube-api-access-"

// checkVolumes returns an error for a volume this kubelet cannot provide.
func checkVolumes(pod *corev1.Pod) error {
	for _, v := range pod.Spec.Volumes {
		switch {
		case v.Secret != nil, v.ConfigMap != nil, v.EmptyDir != nil:
		case v.Projected != nil && strings.HasPrefix(v.Name, serviceAccountVolume):
		default:
			return fmt.Errorf("volume %s: only secret, configMap and emptyDir volumes are %w", v.Name, errUnsupported)
		}
	}
	return nil
}

// writeVolumes writes every volume of pod under dir/<volume name>, returning errNotYet (wrapped) while a
// Secret or ConfigMap it needs is missing.
func (k *Kubelet) writeVolumes(ctx context.Context, pod *corev1.Pod, dir string) error {
	for _, v := range pod.Spec.Volumes {
		var files map[string][]byte
		var err error
		switch {
		case v.Secret != nil:
			files, err = k.secretFiles(ctx, pod.Namespace, v.Secret)
		case v.ConfigMap != nil:
			files, err = k.configMapFiles(ctx, pod.Namespace, v.ConfigMap)
		}
		if err != nil {
			return fmt.Errorf("volume %s: %w", v.Name, err)
		}
		if err := writeFiles(filepath.Join(dir, v.Name), files); err != nil {
			return err
		}
	}
	return nil
}

func (k *Kubelet) secretFiles(ctx context.Context, ns string, src *corev1.SecretVolumeSource) (map[string][]byte, error) {
	s, err := k.opts.Client.CoreV1().Secrets(ns).Get(ctx, src.SecretName, metav1.GetOptions{})
	if err != nil {
		return nil, absent(err, src.Optional, "secret "+src.SecretName)
	}
	return projectKeys(s.Data, src.Items, "secret "+src.SecretName)
}

func (k *Kubelet) configMapFiles(ctx context.Context, ns string, src *corev1.ConfigMapVolumeSource) (map[string][]byte, error) {
	cm, err := k.opts.Client.CoreV1().ConfigMaps(ns).Get(ctx, src.Name, metav1.GetOptions{})
	if err != nil {
		return nil, absent(err, src.Optional, "configmap "+src.Name)
	}
	data := make(map[string][]byte, len(cm.Data)+len(cm.BinaryData))
	for key, v := range cm.Data {
		data[key] = []byte(v)
	}
	for key, v := range cm.BinaryData {
		data[key] = v
	}
	return projectKeys(data, src.Items, "configmap "+src.Name)
}

// projectKeys maps keys to file paths: every key under its own name, or only the items listed.
func projectKeys(data map[string][]byte, items []corev1.KeyToPath, what string) (map[string][]byte, error) {
	if len(items) == 0 {
		return data, nil
	}
	out := make(map[string][]byte, len(items))
	for _, it := range items {
		v, ok := data[it.Key]
		if !ok {
			return nil, fmt.Errorf("key %s of %s: %w", it.Key, what, errNotYet)
		}
		out[it.Path] = v
	}
	return out, nil
}

// writeFiles writes files (by relative path) under dir, refusing a path that leaves it.
func writeFiles(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("make volume folder: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("open volume folder: %w", err)
	}
	defer root.Close()
	for name, data := range files {
		if d := filepath.Dir(name); d != "." {
			if err := root.MkdirAll(d, 0o700); err != nil {
				return fmt.Errorf("make folder of %s: %w", name, err)
			}
		}
		if err := root.WriteFile(name, data, 0o600); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	return nil
}

// hostPath returns where a path inside the container is on this machine, when it is under one of
// the container's volume mounts; ok is false otherwise.
func hostPath(c *corev1.Container, volumesDir, p string) (string, bool) {
	for _, m := range c.VolumeMounts {
		mount := strings.TrimSuffix(m.MountPath, "/")
		if p != mount && !strings.HasPrefix(p, mount+"/") {
			continue
		}
		return filepath.Join(volumesDir, m.Name, m.SubPath, strings.TrimPrefix(p, mount)), true
	}
	return "", false
}
