package e2e

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/gatebridge/gatebridge/annotations"
)

// answeredBy is one setting of one Ingress that answers a request: a path of its rules, its default
// backend, its default-backend annotation, its app-root or its ssl-passthrough.
type answeredBy struct {
	ing *networkingv1.Ingress
	// what names the setting as the migration report names it: spec.rules[0].http.paths[1],
	// spec.defaultBackend, or an annotation key.
	what string
	// backend is the Service it sends to (namespace/name), "" when it answers itself (app-root).
	backend string
	// path is the path as written, for a rule path: canaries join the primary path with the same value.
	path string
}

func (s *answeredBy) String() string {
	if s == nil {
		return "no Ingress"
	}
	return fmt.Sprintf("Ingress/%s/%s %s", s.ing.Namespace, s.ing.Name, s.what)
}

// owners are the settings that answer a probe: on the Ingress side by ingress-nginx's precedence (as
// gatebridge serves Ingresses), with the canary that joined that path; on the Gateway side, the
// settings that name the Service that answered.
type owners struct {
	ingress, canary *answeredBy
	gateway         []*answeredBy
}

func (o owners) all() []*answeredBy {
	var out []*answeredBy
	for _, s := range append([]*answeredBy{o.ingress, o.canary}, o.gateway...) {
		if s != nil && !slices.ContainsFunc(out, func(x *answeredBy) bool { return x.ing == s.ing && x.what == s.what }) {
			out = append(out, s)
		}
	}
	return out
}

// classIngresses are the Ingresses of a class, oldest first, as ingress-nginx resolves conflicts.
func (rt *corpusTrip) classIngresses(class string) []*networkingv1.Ingress {
	var out []*networkingv1.Ingress
	for i := range rt.in.Ingresses {
		if ing := &rt.in.Ingresses[i]; rt.classOf[ing.Namespace+"/"+ing.Name] == class {
			out = append(out, ing)
		}
	}
	slices.SortFunc(out, func(a, b *networkingv1.Ingress) int {
		if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
			if a.CreationTimestamp.Before(&b.CreationTimestamp) {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return out
}

func isCanary(ing *networkingv1.Ingress) bool {
	return ing.Annotations[annotations.NginxPrefix+"canary"] == "true"
}

func isPassthrough(ing *networkingv1.Ingress) bool {
	return ing.Annotations[annotations.NginxPrefix+"ssl-passthrough"] == "true"
}

// primaries are the Ingresses of a class that own paths: neither canaries nor ssl-passthrough.
func (rt *corpusTrip) primaries(class string) []*networkingv1.Ingress {
	return slices.DeleteFunc(rt.classIngresses(class), func(ing *networkingv1.Ingress) bool { return isCanary(ing) || isPassthrough(ing) })
}

// sameHost says whether an Ingress rule's host is host (rules without host are the catch-all "").
func sameHost(rule networkingv1.IngressRule, host string) bool { return rule.Host == host }

// servedHost is host when an Ingress of the class has paths or a default backend for it, or else ""
// (the hosts of ssl-passthrough Ingresses over HTTP): the catch-all answers for it.
func (rt *corpusTrip) servedHost(class, host string) string {
	if slices.ContainsFunc(rt.primaries(class), func(ing *networkingv1.Ingress) bool { return hasRuleHost(ing, host) }) {
		return host
	}
	return ""
}

// ingressOwner is what answers the probe on the Ingress side, by ingress-nginx's precedence: ssl
// passthrough, then app-root for "/", then the paths of the host (Exact and longest first, or the regular
// expressions in reverse order when an Ingress of the host asks for them), then the default-backend
// annotation, then spec.defaultBackend; nil when nothing does (404).
func (rt *corpusTrip) ingressOwner(p probe) (path, canary *answeredBy) {
	host := p.ruleHost
	if strings.HasPrefix(host, "*.") && strings.Count(p.host, ".") != strings.Count(host, ".") {
		return nil, nil // a wildcard stands for one label
	}
	if s := rt.passthroughOwner(p); s != nil {
		return s, nil
	}
	host = rt.servedHost(p.class, host)
	if s := rt.appRootOwner(p.class, host); s != nil && p.path == "/" {
		return s, nil
	}
	if s := rt.pathOwner(p.class, host, p.path); s != nil {
		return s, rt.canaryOf(p.class, host, s.path)
	}
	return rt.defaultOwner(p.class, host), nil
}

func (rt *corpusTrip) passthroughOwner(p probe) *answeredBy {
	if !p.https {
		return nil
	}
	for _, ing := range rt.classIngresses(p.class) {
		if !isPassthrough(ing) || isCanary(ing) {
			continue
		}
		for ri, rule := range ing.Spec.Rules {
			for pi, ip := range rulePaths(rule) {
				if sameHost(rule, p.ruleHost) && (ip.Path == "/" || ip.Path == "") && ip.Backend.Service != nil {
					return &answeredBy{ing: ing, what: fmt.Sprintf("spec.rules[%d].http.paths[%d]", ri, pi), backend: ing.Namespace + "/" + ip.Backend.Service.Name}
				}
			}
		}
	}
	return nil
}

func (rt *corpusTrip) appRootOwner(class, host string) *answeredBy {
	for _, ing := range rt.primaries(class) {
		if ing.Annotations[annotations.NginxPrefix+"app-root"] == "" {
			continue
		}
		for _, rule := range ing.Spec.Rules {
			if sameHost(rule, host) && len(rulePaths(rule)) > 0 {
				return &answeredBy{ing: ing, what: annotations.NginxPrefix + "app-root"}
			}
		}
	}
	return nil
}

// candidatePath is one path of a host with the kind of match ingress-nginx makes of it.
type candidatePath struct {
	answeredBy
	kind string // exact, prefix (whole segments), string (ImplementationSpecific), regex
}

func (c candidatePath) matches(path string) bool {
	v := c.path
	switch c.kind {
	case "exact":
		return path == v
	case "prefix":
		v = strings.TrimRight(v, "/")
		return v == "" || path == v || strings.HasPrefix(path, v+"/")
	case "regex":
		re, err := regexp.Compile("(?i)^(?:" + v + ")")
		return err == nil && re.MatchString(path)
	}
	return strings.HasPrefix(path, v)
}

// pathOwner is the path of a host that takes path: the oldest Ingress keeps a path two declare.
func (rt *corpusTrip) pathOwner(class, host, path string) *answeredBy {
	var paths []candidatePath
	claimed := map[string]bool{}
	regex := false
	for _, ing := range rt.primaries(class) {
		for ri, rule := range ing.Spec.Rules {
			if !sameHost(rule, host) {
				continue
			}
			for pi, ip := range rulePaths(rule) {
				c := candidatePath{answeredBy: answeredBy{ing: ing, what: fmt.Sprintf("spec.rules[%d].http.paths[%d]", ri, pi), path: cmpOr(ip.Path, "/")}, kind: "string"}
				if ip.PathType != nil && *ip.PathType == networkingv1.PathTypeExact {
					c.kind, c.path = "exact", ip.Path
				} else if ip.PathType != nil && *ip.PathType == networkingv1.PathTypePrefix {
					c.kind = "prefix"
				}
				if ip.Backend.Service != nil {
					c.backend = ing.Namespace + "/" + ip.Backend.Service.Name
				}
				if !claimed[c.kind+" "+c.path] {
					claimed[c.kind+" "+c.path] = true
					paths = append(paths, c)
					regex = regex || regexPaths(ing)
				}
			}
		}
	}
	if regex {
		for i := range paths {
			paths[i].kind = "regex"
		}
		slices.SortStableFunc(paths, func(a, b candidatePath) int { return -cmp.Compare(a.path, b.path) })
	} else {
		rank := map[string]int{"exact": 0, "prefix": 1, "string": 2}
		slices.SortStableFunc(paths, func(a, b candidatePath) int {
			return cmp.Or(-cmp.Compare(len(strings.TrimRight(a.path, "/")), len(strings.TrimRight(b.path, "/"))), cmp.Compare(rank[a.kind], rank[b.kind]))
		})
	}
	for _, c := range paths {
		if c.matches(path) {
			return &c.answeredBy
		}
	}
	return nil
}

// primaryPath is the primary path of a host a canary path joins: the first with the same value.
func (rt *corpusTrip) primaryPath(class, host, path string) []*answeredBy {
	for _, ing := range rt.primaries(class) {
		for ri, rule := range ing.Spec.Rules {
			for pi, ip := range rulePaths(rule) {
				if sameHost(rule, host) && cmpOr(ip.Path, "/") == path && ip.Backend.Service != nil {
					return []*answeredBy{{ing: ing, what: fmt.Sprintf("spec.rules[%d].http.paths[%d]", ri, pi), backend: ing.Namespace + "/" + ip.Backend.Service.Name, path: path}}
				}
			}
		}
	}
	return nil
}

// canaryOf is the canary that joined the primary path of a host: the oldest canary with that path.
func (rt *corpusTrip) canaryOf(class, host, path string) *answeredBy {
	for _, ing := range rt.classIngresses(class) {
		if !isCanary(ing) {
			continue
		}
		for ri, rule := range ing.Spec.Rules {
			for pi, ip := range rulePaths(rule) {
				if sameHost(rule, host) && cmpOr(ip.Path, "/") == path && ip.Backend.Service != nil {
					return &answeredBy{ing: ing, what: fmt.Sprintf("spec.rules[%d].http.paths[%d]", ri, pi), backend: ing.Namespace + "/" + ip.Backend.Service.Name, path: path}
				}
			}
		}
	}
	return nil
}

// defaultOwner is the default backend of a host: the default-backend annotation of its oldest Ingress
// that has one, else the spec.defaultBackend of its oldest Ingress that has one; for the hosts no rule
// names, the oldest spec.defaultBackend of the class.
func (rt *corpusTrip) defaultOwner(class, host string) *answeredBy {
	for _, ing := range rt.primaries(class) {
		if svc := ing.Annotations[annotations.NginxPrefix+"default-backend"]; svc != "" && hasRuleHost(ing, host) {
			return &answeredBy{ing: ing, what: annotations.NginxPrefix + "default-backend", backend: ing.Namespace + "/" + svc}
		}
	}
	for _, ing := range rt.primaries(class) {
		if db := ing.Spec.DefaultBackend; db != nil && db.Service != nil && (host == "" || hasRuleHost(ing, host)) {
			return &answeredBy{ing: ing, what: "spec.defaultBackend", backend: ing.Namespace + "/" + db.Service.Name}
		}
	}
	return nil
}

// gatewayOwners are the settings of the Ingresses of the probe's host that name the Service that
// answered (namespace/name): their migrated rules are the ones that can have sent it there. A canary
// brings the primary path it joins.
func (rt *corpusTrip) gatewayOwners(p probe, backend string) []*answeredBy {
	var out []*answeredBy
	host := p.ruleHost
	if !p.https {
		host = rt.servedHost(p.class, host)
	}
	for _, ing := range rt.classIngresses(p.class) {
		named := func(svc string) bool { return svc != "" && ing.Namespace+"/"+svc == backend }
		for ri, rule := range ing.Spec.Rules {
			for pi, ip := range rulePaths(rule) {
				if !sameHost(rule, host) || ip.Backend.Service == nil || !named(ip.Backend.Service.Name) {
					continue
				}
				out = append(out, &answeredBy{ing: ing, what: fmt.Sprintf("spec.rules[%d].http.paths[%d]", ri, pi), backend: backend, path: cmpOr(ip.Path, "/")})
				if isCanary(ing) {
					out = append(out, rt.primaryPath(p.class, host, cmpOr(ip.Path, "/"))...)
				}
			}
		}
		if db := ing.Spec.DefaultBackend; db != nil && db.Service != nil && named(db.Service.Name) && (host == "" || hasRuleHost(ing, host)) {
			out = append(out, &answeredBy{ing: ing, what: "spec.defaultBackend", backend: backend})
		}
		if named(ing.Annotations[annotations.NginxPrefix+"default-backend"]) && hasRuleHost(ing, host) {
			out = append(out, &answeredBy{ing: ing, what: annotations.NginxPrefix + "default-backend", backend: backend})
		}
	}
	return out
}

// owners finds what answered a probe on both sides, and checks the Ingress side's precedence against
// the backend that answered there.
func (rt *corpusTrip) owners(p probe, before, after answer) (owners, error) {
	var o owners
	o.ingress, o.canary = rt.ingressOwner(p)
	if before.backend != "" {
		for b := range strings.SplitSeq(before.backend, "|") {
			if (o.ingress == nil || o.ingress.backend != b) && (o.canary == nil || o.canary.backend != b) {
				return o, fmt.Errorf("the Ingress side answered from %s, but by ingress-nginx's precedence %s (canary %s) takes the request", b, o.ingress, o.canary)
			}
		}
	}
	if after.backend != "" {
		for b := range strings.SplitSeq(after.backend, "|") {
			o.gateway = append(o.gateway, rt.gatewayOwners(p, b)...)
		}
	}
	return o, nil
}
