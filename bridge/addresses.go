package bridge

import (
	"cmp"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/gatebridge/gatebridge/annotations"
	"github.com/gatebridge/gatebridge/convert"
)

// FleetLabel marks the Service (type LoadBalancer) in front of a fleet's Envoys: its load balancer
// addresses are the addresses of the fleet's Gateway or Ingress class.
const FleetLabel = "gatebridge.dev/fleet"

// Addressing says where the addresses of Gateways and Ingress classes come from.
type Addressing struct {
	// FleetServiceNamespace is where the Services labelled FleetLabel are (cluster mode).
	FleetServiceNamespace string
	// Pool, when valid, gives every Gateway and Ingress class of gatebridge an address of its own,
	// which its Envoys bind (local mode). A Gateway's spec.addresses may ask for one of the pool.
	Pool netip.Prefix
}

// assigned is what the addresses of one rebuild are.
type assigned struct {
	gateways map[string][]string // by "namespace/name"
	errors   map[string]string   // by "namespace/name": why a Gateway has none
	classes  map[string][]string // by Ingress class
	bind     map[string]string   // by fleet: the pool address its listeners bind
}

// assign gives addresses to the Gateways and Ingress classes of the input. Fleet Services win; the
// pool serves the rest. Pool addresses are stable: a Gateway keeps the address its status shows, an
// Ingress class the one its Ingresses show, and spec.addresses are honoured when in the pool.
func (a Addressing) assign(in *convert.Input, opts convert.Options) assigned {
	out := assigned{gateways: map[string][]string{}, errors: map[string]string{}, classes: map[string][]string{}, bind: map[string]string{}}
	lb := a.fleetServiceAddresses(in.Services)
	gateways := ourGateways(in, opts.GatewayController)
	classes := ourIngressClasses(in, opts)
	var pool *addressPool
	if a.Pool.IsValid() {
		pool = &addressPool{prefix: a.Pool.Masked(), used: map[netip.Addr]string{}}
	}
	// Requests first (spec.addresses), then what status already shows, then new assignments.
	for _, g := range gateways {
		key := g.Namespace + "/" + g.Name
		if addrs, ok := lb[convert.GatewayFleet(g.Namespace, g.Name)]; ok {
			out.gateways[key] = addrs
		} else if pool != nil && len(g.Spec.Addresses) > 0 {
			a.claimRequested(pool, g, &out)
		}
	}
	if pool == nil {
		for class := range classes {
			if addrs, ok := lb[convert.IngressFleet(class)]; ok {
				out.classes[class] = addrs
			}
		}
		return out
	}
	for _, g := range gateways {
		key := g.Namespace + "/" + g.Name
		if _, done := out.gateways[key]; !done && out.errors[key] == "" {
			for _, sa := range g.Status.Addresses {
				if pool.claim(sa.Value, key) {
					out.gateways[key] = []string{sa.Value}
					break
				}
			}
		}
	}
	for _, class := range slices.Sorted(maps.Keys(classes)) {
		if addrs, ok := lb[convert.IngressFleet(class)]; ok {
			out.classes[class] = addrs
			continue
		}
		for _, addr := range classes[class] {
			if pool.claim(addr, "class "+class) {
				out.classes[class] = []string{addr}
				break
			}
		}
	}
	for _, g := range gateways {
		key := g.Namespace + "/" + g.Name
		if _, done := out.gateways[key]; done || out.errors[key] != "" {
			continue
		}
		if addr, ok := pool.next(key); ok {
			out.gateways[key] = []string{addr}
		} else {
			out.errors[key] = fmt.Sprintf("the address pool %s is exhausted", pool.prefix)
		}
	}
	for _, class := range slices.Sorted(maps.Keys(classes)) {
		if _, done := out.classes[class]; !done {
			if addr, ok := pool.next("class " + class); ok {
				out.classes[class] = []string{addr}
			}
		}
	}
	for key, addrs := range out.gateways {
		if pool.owns(addrs[0], key) {
			ns, name, _ := strings.Cut(key, "/")
			out.bind[convert.GatewayFleet(ns, name)] = addrs[0]
		}
	}
	for class, addrs := range out.classes {
		if pool.owns(addrs[0], "class "+class) {
			out.bind[convert.IngressFleet(class)] = addrs[0]
		}
	}
	return out
}

// claimRequested gives a Gateway the pool address its spec.addresses asks for, or records why not.
func (a Addressing) claimRequested(pool *addressPool, g *gwapiv1.Gateway, out *assigned) {
	key := g.Namespace + "/" + g.Name
	for _, req := range g.Spec.Addresses {
		if req.Type != nil && *req.Type != gwapiv1.IPAddressType {
			out.errors[key] = fmt.Sprintf("address type %s is not supported; use an IPAddress of the pool %s", *req.Type, pool.prefix)
			return
		}
	}
	for _, req := range g.Spec.Addresses {
		if err := pool.usable(req.Value, key); err != nil {
			out.errors[key] = err.Error()
			return
		}
	}
	if len(g.Spec.Addresses) > 1 {
		out.errors[key] = "only one address per Gateway is supported"
		return
	}
	req := g.Spec.Addresses[0]
	if req.Value == "" { // an empty value asks for any address of the pool
		return
	}
	addr, err := netip.ParseAddr(req.Value)
	switch {
	case err != nil:
		out.errors[key] = fmt.Sprintf("address %q is not an IP address", req.Value)
	case !pool.prefix.Contains(addr):
		out.errors[key] = fmt.Sprintf("address %s is not in the pool %s", addr, pool.prefix)
	case !pool.claim(req.Value, key):
		out.errors[key] = fmt.Sprintf("address %s is already used by %s", addr, pool.used[addr])
	default:
		out.gateways[key] = []string{addr.String()}
	}
}

// addressPool hands out the addresses of a prefix, each to one owner.
type addressPool struct {
	prefix netip.Prefix
	used   map[netip.Addr]string
}

// usable says why a requested address cannot be given to owner: not an IP address, outside the pool,
// or taken by another owner. An empty value asks for any address and is usable.
func (p *addressPool) usable(s, owner string) error {
	if s == "" {
		return nil
	}
	addr, err := netip.ParseAddr(s)
	switch {
	case err != nil:
		return fmt.Errorf("address %q is not an IP address", s)
	case !p.prefix.Contains(addr):
		return fmt.Errorf("address %s is not in the pool %s", addr, p.prefix)
	case p.used[addr] != "" && p.used[addr] != owner:
		return fmt.Errorf("address %s is already used by %s", addr, p.used[addr])
	}
	return nil
}

// claim gives addr to owner when it is in the pool and free (or already owner's).
func (p *addressPool) claim(s, owner string) bool {
	addr, err := netip.ParseAddr(s)
	if err != nil || !p.prefix.Contains(addr) || addr == p.prefix.Addr() {
		return false
	}
	if o, taken := p.used[addr]; taken {
		return o == owner
	}
	p.used[addr] = owner
	return true
}

// owns reports whether addr is a pool address of owner.
func (p *addressPool) owns(s, owner string) bool {
	addr, err := netip.ParseAddr(s)
	return err == nil && p.used[addr] == owner
}

// next gives owner the lowest free address (the prefix's own address, .0, is never given).
func (p *addressPool) next(owner string) (string, bool) {
	for addr := p.prefix.Addr().Next(); addr.IsValid() && p.prefix.Contains(addr); addr = addr.Next() {
		if _, taken := p.used[addr]; !taken {
			p.used[addr] = owner
			return addr.String(), true
		}
	}
	return "", false
}

// fleetServiceAddresses reads the load balancer addresses of the fleet Services.
func (a Addressing) fleetServiceAddresses(services []corev1.Service) map[string][]string {
	out := map[string][]string{}
	if a.FleetServiceNamespace == "" {
		return out
	}
	for i := range services {
		s := &services[i]
		fleet := s.Labels[FleetLabel]
		if s.Namespace != a.FleetServiceNamespace || fleet == "" {
			continue
		}
		for _, ing := range s.Status.LoadBalancer.Ingress {
			if v := cmp.Or(ing.IP, ing.Hostname); v != "" {
				out[fleet] = append(out[fleet], v)
			}
		}
	}
	return out
}

// ourGateways are the Gateways whose class names gatebridge's controller, oldest first.
func ourGateways(in *convert.Input, controller string) []*gwapiv1.Gateway {
	controller = cmp.Or(controller, convert.DefaultGatewayController)
	ours := map[string]bool{}
	for i := range in.GatewayClasses {
		if string(in.GatewayClasses[i].Spec.ControllerName) == controller {
			ours[in.GatewayClasses[i].Name] = true
		}
	}
	var out []*gwapiv1.Gateway
	for i := range in.Gateways {
		if ours[string(in.Gateways[i].Spec.GatewayClassName)] {
			out = append(out, &in.Gateways[i])
		}
	}
	slices.SortFunc(out, func(a, b *gwapiv1.Gateway) int {
		if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
			return c
		}
		return cmp.Compare(a.Namespace+"/"+a.Name, b.Namespace+"/"+b.Name)
	})
	return out
}

// ourIngressClasses are the Ingress classes gatebridge may serve (its IngressClasses and the legacy
// annotation's value), each with the addresses its Ingresses' status already shows.
func ourIngressClasses(in *convert.Input, opts convert.Options) map[string][]string {
	controller := cmp.Or(opts.IngressController, convert.DefaultIngressController)
	out := map[string][]string{cmp.Or(opts.IngressClassValue, convert.DefaultIngressClassValue): nil}
	for i := range in.IngressClasses {
		if in.IngressClasses[i].Spec.Controller == controller {
			out[in.IngressClasses[i].Name] = nil
		}
	}
	for i := range in.Ingresses {
		ing := &in.Ingresses[i]
		class := ingressClassName(ing)
		if _, ok := out[class]; ok {
			for _, lb := range ing.Status.LoadBalancer.Ingress {
				if lb.IP != "" {
					out[class] = append(out[class], lb.IP)
				}
			}
		}
	}
	return out
}

// ingressClassName is the class an Ingress names, by field or by the legacy annotation.
func ingressClassName(ing *networkingv1.Ingress) string {
	if ing.Spec.IngressClassName != nil {
		return *ing.Spec.IngressClassName
	}
	return ing.Annotations[annotations.ClassAnnotation]
}
