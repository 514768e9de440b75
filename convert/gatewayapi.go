package convert

import (
	"cmp"
	"fmt"
	"maps"
	"slices"

	"google.golang.org/protobuf/proto"
	istionet "istio.io/api/networking/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/gatebridge/gatebridge/model"
)

// httpBucketKey groups the HTTP routes served for one hostname on one port of one Gateway: one
// VirtualService each.
type httpBucketKey struct {
	gw   *gatewayInfo
	port gwapiv1.PortNumber
	host string
}

// translateGatewayAPI translates GatewayClasses, Gateways, their ListenerSets and the routes attached
// to them.
func (t *translator) translateGatewayAPI() {
	t.httpBuckets = map[httpBucketKey][]httpEntry{}
	t.tlsBuckets = map[tlsBucketKey][]tlsEntry{}
	gateways := map[nsName]*gatewayInfo{}
	classes := t.translateGatewayClasses()
	infos := t.translateGateways(classes)
	for _, g := range infos {
		gateways[nsName{g.gw.Namespace, g.gw.Name}] = g
	}
	t.listenerSets = t.translateListenerSets(classes, gateways)
	for i := range t.in.HTTPRoutes {
		t.translateHTTPRoute(&t.in.HTTPRoutes[i], gateways)
	}
	for i := range t.in.GRPCRoutes {
		t.translateGRPCRoute(&t.in.GRPCRoutes[i], gateways)
	}
	for i := range t.in.TLSRoutes {
		t.translateTLSRoute(&t.in.TLSRoutes[i], gateways)
	}
	for _, g := range infos {
		t.finishGateway(g)
	}
	t.finishListenerSets(t.listenerSets)
	t.buildHTTPVirtualServices()
	t.addGatewayPolicies()
	t.buildTLSVirtualServices()
}

// addHTTPEntries files the entries of a route under every (Gateway, port, hostname) it attached to,
// remembering the listener each came through.
func (t *translator) addHTTPEntries(parents []parentResult, entries []httpEntry) {
	if len(entries) == 0 {
		return
	}
	for _, p := range parents {
		for _, a := range p.attachments {
			for _, h := range a.hostnames {
				key := httpBucketKey{gw: a.gw, port: a.listener.spec.Port, host: h}
				for _, e := range entries {
					e.listener, e.host = a.listener, h
					t.httpBuckets[key] = append(t.httpBuckets[key], e)
				}
			}
		}
	}
}

// ownerListener is the most specific ready listener of a Gateway port that takes requests for host.
func ownerListener(gw *gatewayInfo, port gwapiv1.PortNumber, host string) *listenerInfo {
	var owner *listenerInfo
	for _, l := range gw.listeners {
		if !l.ready || l.spec.Port != port || !listenerMatchesHost(l.hostname(), host) {
			continue
		}
		if owner == nil || hostSpecificity(l.hostname()) > hostSpecificity(owner.hostname()) {
			owner = l
		}
	}
	return owner
}

// entriesForHost gathers what a VirtualService for one hostname serves: the routes of that hostname,
// then those of the wildcards that cover it (the most specific hostname first, as the specification
// orders them), taking only routes that came through the listener that owns the hostname.
func (t *translator) entriesForHost(key httpBucketKey) []httpEntry {
	owner := ownerListener(key.gw, key.port, key.host)
	var out []httpEntry
	for _, general := range coveringHosts(key.host) {
		for _, e := range t.httpBuckets[httpBucketKey{gw: key.gw, port: key.port, host: general}] {
			if owner == nil || e.listener == owner {
				out = append(out, e)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b httpEntry) int {
		return cmp.Or(
			-cmp.Compare(hostSpecificity(a.host), hostSpecificity(b.host)),
			-cmp.Compare(len(a.host), len(b.host)),
			compareRanks(a.rank, b.rank),
			olderFirst(a.rc.meta, b.rc.meta),
			cmp.Compare(a.rule, b.rule),
			cmp.Compare(a.match, b.match),
		)
	})
	return slices.CompactFunc(out, func(a, b httpEntry) bool {
		return a.rc == b.rc && a.rule == b.rule && a.match == b.match && a.host == b.host
	})
}

// coveringHosts lists the hostnames whose routes also serve host: itself, "*", and the wildcard of
// every domain above it ("*.b.c" and "*.c" for "a.b.c"; "*.c" for "*.b.c"). Each covers host.
func coveringHosts(host string) []string {
	out := []string{host}
	for i := 0; i < len(host); i++ {
		if host[i] == '.' && i > 0 {
			if w := "*" + host[i:]; w != host {
				out = append(out, w)
			}
		}
	}
	if host != "*" {
		out = append(out, "*")
	}
	return out
}

func compareBucket(a, b *gatewayInfo, ap, bp gwapiv1.PortNumber, ah, bh string) int {
	return cmp.Or(cmp.Compare(a.gw.Namespace, b.gw.Namespace), cmp.Compare(a.gw.Name, b.gw.Name), cmp.Compare(ap, bp), cmp.Compare(ah, bh))
}

func sortedKeys[K comparable, V any](m map[K]V, compare func(a, b K) int) []K {
	return slices.SortedFunc(maps.Keys(m), compare)
}

// sortEntries orders entries of equal rank by route age, then namespace and name.
func sortEntries[E any](entries []E, rc func(E) *routeCommon) {
	slices.SortStableFunc(entries, func(a, b E) int { return olderFirst(rc(a).meta, rc(b).meta) })
}

func gatewayMeta(g *gatewayInfo, name string, sources map[string]bool) model.Meta {
	return model.Meta{Name: name, Namespace: g.gw.Namespace, Fleet: g.fleet, Origin: model.OriginGatewayAPI, Sources: sortedSet(sources)}
}

func (t *translator) buildHTTPVirtualServices() {
	keys := sortedKeys(t.httpBuckets, func(a, b httpBucketKey) int {
		return compareBucket(a.gw, b.gw, a.port, b.port, a.host, b.host)
	})
	// A route filed under several hostnames of one port is shared by their VirtualServices; it is
	// copied only when another port needs its own port match.
	ports := map[*istionet.HTTPRoute]uint32{}
	for _, key := range keys {
		entries := t.entriesForHost(key)
		vs := &istionet.VirtualService{Hosts: []string{key.host}, Gateways: []string{key.gw.gw.Namespace + "/" + key.gw.gw.Name}}
		sources := map[string]bool{}
		for _, e := range entries {
			sources[e.rc.ref.String()] = true
			for _, r := range e.routes {
				if p, used := ports[r]; used && p != uint32(key.port) {
					r = proto.Clone(r).(*istionet.HTTPRoute)
				}
				r.Match[0].Port = uint32(key.port)
				ports[r] = uint32(key.port)
				vs.Http = append(vs.Http, r)
			}
		}
		t.addVirtualService(gatewayMeta(key.gw, fmt.Sprintf("%s-%d-%s", key.gw.gw.Name, key.port, hostSlug(key.host)), sources), vs)
	}
}
