package model

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	istionet "istio.io/api/networking/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

type printedMeta struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

type printedDoc struct {
	APIVersion string          `json:"apiVersion"`
	Kind       string          `json:"kind"`
	Metadata   printedMeta     `json:"metadata"`
	Spec       json.RawMessage `json:"spec"`
	Service    json.RawMessage `json:"service"`
}

// ParseYAML reads a snapshot back from the documents Documents prints (Istio resources with gatebridge's
// labels, and BackendService documents), so that every later stage can be tested and reproduced from a
// YAML file.
func ParseYAML(r io.Reader) (*Snapshot, error) {
	s := &Snapshot{}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(r))
	for n := 1; ; n++ {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", n, err)
		}
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		js, err := utilyaml.ToJSON(raw)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", n, err)
		}
		if err := s.addDocument(js); err != nil {
			return nil, fmt.Errorf("document %d: %w", n, err)
		}
	}
	s.Sort()
	return s, nil
}

func (s *Snapshot) addDocument(js []byte) error {
	var d printedDoc
	if err := json.Unmarshal(js, &d); err != nil {
		return err
	}
	if d.Kind == "BackendService" {
		var svc Service
		if err := json.Unmarshal(d.Service, &svc); err != nil {
			return fmt.Errorf("BackendService: %w", err)
		}
		s.Services = append(s.Services, svc)
		return nil
	}
	m := Meta{Name: d.Metadata.Name, Namespace: d.Metadata.Namespace, Fleet: d.Metadata.Labels[FleetLabel], Origin: Origin(d.Metadata.Labels[OriginLabel])}
	if src := d.Metadata.Annotations[SourcesAnnotation]; src != "" {
		m.Sources = strings.Split(src, ",")
	}
	if d.APIVersion == PolicyAPIVersion && d.Kind == RoutePolicyKind {
		p, err := parsePolicy(m, d.Spec)
		s.RoutePolicies = append(s.RoutePolicies, p)
		return err
	}
	if d.APIVersion != IstioAPIVersion {
		return fmt.Errorf("apiVersion %q: want %s", d.APIVersion, IstioAPIVersion)
	}
	var spec proto.Message
	switch d.Kind {
	case "Gateway":
		g := Gateway{Meta: m, Spec: &istionet.Gateway{}}
		spec = g.Spec
		defer func() { s.Gateways = append(s.Gateways, g) }()
	case "VirtualService":
		v := VirtualService{Meta: m, Spec: &istionet.VirtualService{}}
		spec = v.Spec
		defer func() { s.VirtualServices = append(s.VirtualServices, v) }()
	case "DestinationRule":
		r := DestinationRule{Meta: m, Spec: &istionet.DestinationRule{}}
		spec = r.Spec
		defer func() { s.DestinationRules = append(s.DestinationRules, r) }()
	default:
		return fmt.Errorf("kind %q is not part of the model", d.Kind)
	}
	if err := protojson.Unmarshal(d.Spec, spec); err != nil {
		return fmt.Errorf("%s %s/%s: %w", d.Kind, m.Namespace, m.Name, err)
	}
	return nil
}
