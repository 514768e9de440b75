package model

import (
	"errors"
	"fmt"
	"regexp"

	istionet "istio.io/api/networking/v1"
)

// ErrInvalid marks a model that must not be served.
var ErrInvalid = errors.New("invalid model")

// Validate checks what the later stages rely on: names and hosts are set, every regular expression
// compiles as RE2, every route has exactly one action and every destination a host. It returns all
// problems found.
func (s *Snapshot) Validate() error {
	var errs []error
	bad := func(kind string, m Meta, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s %s/%s: %s", ErrInvalid, kind, m.Namespace, m.Name, fmt.Sprintf(format, args...)))
	}
	for _, g := range s.Gateways {
		if g.Name == "" || g.Fleet == "" || g.Spec == nil {
			bad("Gateway", g.Meta, "name, fleet and spec are required")
			continue
		}
		for i, srv := range g.Spec.Servers {
			if srv.Port == nil || srv.Port.Number == 0 || len(srv.Hosts) == 0 {
				bad("Gateway", g.Meta, "servers[%d]: a port and hosts are required", i)
			}
		}
	}
	for _, vs := range s.VirtualServices {
		if vs.Name == "" || vs.Spec == nil || len(vs.Spec.Hosts) == 0 {
			bad("VirtualService", vs.Meta, "name, spec and hosts are required")
			continue
		}
		for i, r := range vs.Spec.Http {
			for _, p := range validateHTTPRoute(r) {
				bad("VirtualService", vs.Meta, "http[%d] (%s): %s", i, r.Name, p)
			}
		}
		for i, r := range vs.Spec.Tls {
			if len(r.Route) == 0 {
				bad("VirtualService", vs.Meta, "tls[%d]: no destination", i)
			}
		}
	}
	validatePolicies(s.RoutePolicies, bad)
	return errors.Join(errs...)
}

func validateHTTPRoute(r *istionet.HTTPRoute) []string {
	var problems []string
	actions := 0
	for _, set := range []bool{len(r.Route) > 0, r.Redirect != nil, r.DirectResponse != nil} {
		if set {
			actions++
		}
	}
	if actions != 1 {
		problems = append(problems, fmt.Sprintf("%d actions (route, redirect, direct response), want 1", actions))
	}
	for _, d := range r.Route {
		if d.Destination == nil || d.Destination.Host == "" || d.Weight < 0 {
			problems = append(problems, "destination without host or with a negative weight")
		}
	}
	for _, m := range r.Match {
		for _, sm := range matchStrings(m) {
			if re, ok := sm.MatchType.(*istionet.StringMatch_Regex); ok {
				if _, err := regexp.Compile(re.Regex); err != nil {
					problems = append(problems, fmt.Sprintf("regex %q: %v", re.Regex, err))
				}
			}
		}
	}
	if r.Rewrite != nil && r.Rewrite.UriRegexRewrite != nil {
		if _, err := regexp.Compile(r.Rewrite.UriRegexRewrite.Match); err != nil {
			problems = append(problems, fmt.Sprintf("rewrite regex: %v", err))
		}
	}
	if r.CorsPolicy != nil {
		for _, o := range r.CorsPolicy.AllowOrigins {
			if re, ok := o.MatchType.(*istionet.StringMatch_Regex); ok {
				if _, err := regexp.Compile(re.Regex); err != nil {
					problems = append(problems, fmt.Sprintf("CORS origin regex: %v", err))
				}
			}
		}
	}
	return problems
}

func matchStrings(m *istionet.HTTPMatchRequest) []*istionet.StringMatch {
	out := []*istionet.StringMatch{m.Uri, m.Method, m.Authority, m.Scheme}
	for _, v := range m.Headers {
		out = append(out, v)
	}
	for _, v := range m.QueryParams {
		out = append(out, v)
	}
	for _, v := range m.WithoutHeaders {
		out = append(out, v)
	}
	var nonNil []*istionet.StringMatch
	for _, s := range out {
		if s != nil {
			nonNil = append(nonNil, s)
		}
	}
	return nonNil
}
