package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"sigs.k8s.io/yaml"
)

// IstioAPIVersion is the apiVersion of the Istio resources the model prints.
const IstioAPIVersion = "networking.istio.io/v1"

// SourcesAnnotation lists, on a printed Istio resource, the user objects it was built from.
const SourcesAnnotation = "gatebridge.dev/sources"

// OriginLabel says, on a printed Istio resource, which API it was derived from.
const OriginLabel = "gatebridge.dev/origin"

// PrintOptions selects what Documents includes.
type PrintOptions struct {
	// Services adds one non-Istio document per backend Service with its endpoints, for golden tests and
	// debugging. Those documents are not applyable.
	Services bool
}

// Documents turns the snapshot into Kubernetes-style documents (maps), sorted, ready for YAML or JSON.
// Istio specs go through protojson so that field names and durations are the ones Istio's CRDs use.
func (s *Snapshot) Documents(opts PrintOptions) ([]map[string]any, error) {
	var docs []map[string]any
	add := func(kind string, m Meta, spec proto.Message) error {
		specMap, err := protoToMap(spec)
		if err != nil {
			return fmt.Errorf("%s %s/%s: %w", kind, m.Namespace, m.Name, err)
		}
		docs = append(docs, map[string]any{"apiVersion": IstioAPIVersion, "kind": kind, "metadata": printedMetadata(m), "spec": specMap})
		return nil
	}
	for _, g := range s.Gateways {
		if err := add("Gateway", g.Meta, g.Spec); err != nil {
			return nil, err
		}
	}
	for _, v := range s.VirtualServices {
		if err := add("VirtualService", v.Meta, v.Spec); err != nil {
			return nil, err
		}
	}
	for _, d := range s.DestinationRules {
		if err := add("DestinationRule", d.Meta, d.Spec); err != nil {
			return nil, err
		}
	}
	for _, p := range s.RoutePolicies {
		doc, err := policyDocument(p)
		if err != nil {
			return nil, err
		}
		docs = append(docs, doc)
	}
	if opts.Services {
		for _, svc := range s.Services {
			m, err := toMap(svc)
			if err != nil {
				return nil, err
			}
			docs = append(docs, map[string]any{"apiVersion": "gatebridge.dev/model", "kind": "BackendService", "service": m})
		}
	}
	return docs, nil
}

// printedMetadata is the metadata of a printed object: its name, and its fleet, origin and sources as
// labels and an annotation.
func printedMetadata(m Meta) map[string]any {
	meta := map[string]any{"name": m.Name, "namespace": m.Namespace}
	labels := map[string]any{}
	if m.Fleet != "" {
		labels[FleetLabel] = m.Fleet
	}
	if m.Origin != "" {
		labels[OriginLabel] = string(m.Origin)
	}
	if len(labels) > 0 {
		meta["labels"] = labels
	}
	if len(m.Sources) > 0 {
		meta["annotations"] = map[string]any{SourcesAnnotation: strings.Join(m.Sources, ",")}
	}
	return meta
}

// YAML prints documents as a multi-document YAML stream.
func YAML(docs []map[string]any) ([]byte, error) {
	var buf bytes.Buffer
	for i, d := range docs {
		if i > 0 {
			buf.WriteString("---\n")
		}
		b, err := yaml.Marshal(d)
		if err != nil {
			return nil, err
		}
		buf.Write(b)
	}
	return buf.Bytes(), nil
}

// JSON prints documents as a Kubernetes List.
func JSON(docs []map[string]any) ([]byte, error) {
	items := docs
	if items == nil {
		items = []map[string]any{}
	}
	return json.MarshalIndent(map[string]any{"apiVersion": "v1", "kind": "List", "items": items}, "", "  ")
}

func protoToMap(m proto.Message) (map[string]any, error) {
	b, err := protojson.Marshal(m)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}

func toMap(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	return out, json.Unmarshal(b, &out)
}
