package manifests

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"text/template"

	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	"github.com/gatebridge/gatebridge/envoyxds"
)

// Defaults of FleetOptions.
const (
	DefaultNamespace  = "gatebridge-system"
	DefaultEnvoyImage = "envoyproxy/envoy:v1.40.0"
	DefaultReplicas   = 2
	// FleetLabel on a Service says which fleet's addresses it gives; the controller reads it.
	FleetLabel = "gatebridge.dev/fleet"
	// adminPort is where Envoy's admin interface listens, on 127.0.0.1 inside the pod.
	adminPort = 19000
	xdsPort   = 18000
)

// DefaultPorts are the Service ports of a fleet when none are given: HTTP and HTTPS.
var DefaultPorts = []uint32{80, 443}

// FleetOptions describe the Envoy fleet to deploy. Only Fleet is required.
type FleetOptions struct {
	// Fleet is the node cluster of its Envoys: ingress-<class> or gateway-<namespace>-<name>.
	Fleet string
	// Name of the Deployment and Service (the ConfigMap is <Name>-bootstrap); the fleet by default.
	// It must be a DNS label: give one when the fleet is longer than 63 characters or has dots.
	Name string
	// Namespace of the objects; gatebridge-system by default, which is where the controller looks
	// for the fleet's LoadBalancer Service (--fleet-service-namespace).
	Namespace string
	// XDS is gatebridge's xDS address; gatebridge.<Namespace>:18000 by default.
	XDS string
	// Image of Envoy; DefaultEnvoyImage by default.
	Image string
	// Replicas of the Deployment; DefaultReplicas when zero.
	Replicas int32
	// Ports are the Service ports: the listener ports of the Gateway (80 and 443 for an IngressClass).
	// Envoy listens on each plus PortOffset, which must match the controller's --port-offset.
	Ports      []uint32
	PortOffset uint32
	// Delta makes the Envoys use incremental (delta) ADS.
	Delta bool
}

func (o FleetOptions) withDefaults() FleetOptions {
	o.Name = cmp.Or(o.Name, o.Fleet)
	o.Namespace = cmp.Or(o.Namespace, DefaultNamespace)
	o.XDS = cmp.Or(o.XDS, fmt.Sprintf("gatebridge.%s:%d", o.Namespace, xdsPort))
	o.Image = cmp.Or(o.Image, DefaultEnvoyImage)
	o.Replicas = cmp.Or(o.Replicas, DefaultReplicas)
	if len(o.Ports) == 0 {
		o.Ports = DefaultPorts
	}
	return o
}

// validate checks what becomes an object name, a label or a port.
func (o FleetOptions) validate() error {
	var errs []string
	if o.Fleet == "" {
		return fmt.Errorf("a fleet is required")
	}
	for _, e := range validation.IsValidLabelValue(o.Fleet) {
		errs = append(errs, fmt.Sprintf("fleet %q (a label value): %s", o.Fleet, e))
	}
	for _, e := range validation.IsDNS1035Label(o.Name) {
		errs = append(errs, fmt.Sprintf("name %q: %s", o.Name, e))
	}
	for _, e := range validation.IsDNS1123Label(o.Namespace) {
		errs = append(errs, fmt.Sprintf("namespace %q: %s", o.Namespace, e))
	}
	if strings.ContainsAny(o.Image, " \t\n\"'") || o.Image == "" {
		errs = append(errs, fmt.Sprintf("image %q", o.Image))
	}
	if o.Replicas < 0 {
		errs = append(errs, fmt.Sprintf("replicas %d", o.Replicas))
	}
	for i, p := range o.Ports {
		target := uint64(p) + uint64(o.PortOffset)
		switch {
		case p == 0 || target > 65535:
			errs = append(errs, fmt.Sprintf("port %d (+ offset %d) is not a port", p, o.PortOffset))
		case target == adminPort:
			errs = append(errs, fmt.Sprintf("port %d (+ offset %d) is the port of Envoy's admin interface", p, o.PortOffset))
		case slices.Contains(o.Ports[:i], p):
			errs = append(errs, fmt.Sprintf("port %d given twice", p))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("fleet options: %s", strings.Join(errs, "; "))
	}
	return nil
}

// Fleet returns the manifests of an Envoy fleet: a ConfigMap with the bootstrap, a Deployment, and a
// Service of type LoadBalancer labelled with the fleet, from which the controller takes the fleet's
// addresses.
func Fleet(o FleetOptions) ([]byte, error) {
	o = o.withDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	boot, err := bootstrapYAML(o)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(boot)
	d := fleetData{FleetOptions: o, Bootstrap: indent(boot, "    "), BootstrapSHA256: hex.EncodeToString(sum[:])}
	for _, p := range o.Ports {
		d.ServicePorts = append(d.ServicePorts, servicePort{Name: portName(p), Port: p, Target: p + o.PortOffset})
	}
	var buf bytes.Buffer
	if err := fleetTemplate.Execute(&buf, d); err != nil {
		return nil, fmt.Errorf("fleet %s: %w", o.Fleet, err)
	}
	return buf.Bytes(), nil
}

// bootstrapYAML is the fleet's bootstrap as YAML: protojson output is not byte-stable across builds,
// YAML from its parsed form is (keys sorted).
func bootstrapYAML(o FleetOptions) ([]byte, error) {
	js, err := envoyxds.Bootstrap(envoyxds.BootstrapOptions{Fleet: o.Fleet, XDS: o.XDS, AdminPort: adminPort, Delta: o.Delta})
	if err != nil {
		return nil, fmt.Errorf("bootstrap of fleet %s: %w", o.Fleet, err)
	}
	y, err := yaml.JSONToYAML(js)
	if err != nil {
		return nil, fmt.Errorf("bootstrap of fleet %s as yaml: %w", o.Fleet, err)
	}
	return y, nil
}

func portName(p uint32) string {
	switch p {
	case 80:
		return "http"
	case 443:
		return "https"
	}
	return fmt.Sprintf("port-%d", p)
}

// indent prefixes every non-empty line of b.
func indent(b []byte, prefix string) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n")
}

type servicePort struct {
	Name         string
	Port, Target uint32
}

type fleetData struct {
	FleetOptions
	Bootstrap, BootstrapSHA256 string
	ServicePorts               []servicePort
}

// Labels prints the labels of every object of the fleet, indented by n spaces.
func (d fleetData) Labels(n int) string {
	pad := strings.Repeat(" ", n)
	return pad + "app.kubernetes.io/name: envoy\n" +
		pad + "app.kubernetes.io/instance: " + quote(d.Name) + "\n" +
		pad + "app.kubernetes.io/part-of: gatebridge\n" +
		pad + FleetLabel + ": " + quote(d.Fleet)
}

// quote makes a YAML string of s (JSON strings are YAML): a fleet named "on" or "123" stays a string.
func quote(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}

//go:embed fleet.yaml.tmpl
var fleetYAML string

var fleetTemplate = template.Must(template.New("fleet").Funcs(template.FuncMap{"quote": quote}).Parse(fleetYAML))
