package kubetest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// FieldManager is the server-side apply field manager of Apply.
const FieldManager = "kubetest"

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// DecodeManifests splits a multi-document YAML (or JSON) stream into objects, skipping empty
// documents.
func DecodeManifests(manifests []byte) ([]*unstructured.Unstructured, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(manifests)))
	var objs []*unstructured.Unstructured
	for i := 1; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read document %d: %w", i, err)
		}
		js, err := yaml.YAMLToJSON(doc)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if t := bytes.TrimSpace(js); len(t) == 0 || bytes.Equal(t, []byte("null")) {
			continue
		}
		obj := &unstructured.Unstructured{}
		if err := obj.UnmarshalJSON(js); err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		objs = append(objs, obj)
	}
}

// Apply server-side applies every object of a YAML stream, in order, forcing conflicts, and returns
// them as the server stored them. Namespaced objects without a namespace go to "default". Objects whose
// kind is defined by a CRD of the same stream wait for that CRD; when Apply returns, every CRD it
// applied is established and its kinds are known to the RESTMapper.
func (c *Cluster) Apply(ctx context.Context, manifests []byte) ([]*unstructured.Unstructured, error) {
	objs, err := DecodeManifests(manifests)
	if err != nil {
		return nil, err
	}
	var pending []string // CRDs applied and not yet waited for
	out := make([]*unstructured.Unstructured, 0, len(objs))
	for _, obj := range objs {
		m, err := c.mapper.RESTMapping(obj.GroupVersionKind().GroupKind(), obj.GroupVersionKind().Version)
		if meta.IsNoMatchError(err) && len(pending) > 0 {
			if err := c.WaitCRDs(ctx, pending...); err != nil {
				return out, err
			}
			pending = nil
			m, err = c.mapper.RESTMapping(obj.GroupVersionKind().GroupKind(), obj.GroupVersionKind().Version)
		}
		if err != nil {
			return out, fmt.Errorf("map %s %s: %w", obj.GetKind(), obj.GetName(), err)
		}
		applied, err := c.applyOne(ctx, m, obj)
		if err != nil {
			return out, err
		}
		out = append(out, applied)
		if m.Resource == crdResource {
			pending = append(pending, obj.GetName())
		}
	}
	if len(pending) > 0 {
		return out, c.WaitCRDs(ctx, pending...)
	}
	return out, nil
}

func (c *Cluster) applyOne(ctx context.Context, m *meta.RESTMapping, obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	ri := c.Dynamic.Resource(m.Resource)
	var applied *unstructured.Unstructured
	var err error
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		ns := obj.GetNamespace()
		if ns == "" {
			ns = metav1.NamespaceDefault
			obj.SetNamespace(ns)
		}
		applied, err = ri.Namespace(ns).Apply(ctx, obj.GetName(), obj, metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
	} else {
		applied, err = ri.Apply(ctx, obj.GetName(), obj, metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
	}
	if err != nil {
		return nil, fmt.Errorf("apply %s %s: %w", obj.GetKind(), namespacedName(obj), err)
	}
	return applied, nil
}

func namespacedName(obj *unstructured.Unstructured) string {
	if obj.GetNamespace() == "" {
		return obj.GetName()
	}
	return obj.GetNamespace() + "/" + obj.GetName()
}

// WaitCRDs waits until the named CustomResourceDefinitions are established, then refreshes the
// RESTMapper so that Apply knows their kinds.
func (c *Cluster) WaitCRDs(ctx context.Context, names ...string) error {
	for _, name := range names {
		err := c.poll(ctx, "CRD "+name, func(ctx context.Context) (bool, error) {
			crd, err := c.Dynamic.Resource(crdResource).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, fmt.Errorf("get CRD %s: %w", name, err)
			}
			return crdEstablished(crd), nil
		})
		if err != nil {
			return err
		}
	}
	c.mapper.Reset()
	return nil
}

// crdEstablished tells whether a CRD has the condition Established=True.
func crdEstablished(crd *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if ok && m["type"] == "Established" && m["status"] == string(metav1.ConditionTrue) {
			return true
		}
	}
	return false
}

// CreateNamespace creates a namespace and, when the service account controller runs, waits for its
// default ServiceAccount: without it the API server refuses Pods in that namespace.
func (c *Cluster) CreateNamespace(ctx context.Context, name string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := c.Client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create namespace %s: %w", name, err)
	}
	if !c.serviceAccounts {
		return nil
	}
	return c.waitServiceAccount(ctx, name)
}
