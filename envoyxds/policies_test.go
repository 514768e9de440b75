package envoyxds

import (
	"maps"
	"slices"
	"testing"
	"time"

	rbacconfigv3 "github.com/envoyproxy/go-control-plane/envoy/config/rbac/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"github.com/envoyproxy/go-control-plane/pkg/wellknown"

	"github.com/gatebridge/gatebridge/model"
)

func TestTokenBucket(t *testing.T) {
	tests := []struct {
		limit           model.RateLimit
		tokens, maxToks uint32
		every           time.Duration
	}{
		{limit: model.RateLimit{Requests: 10, PeriodSeconds: 1, Burst: 50}, tokens: 10, maxToks: 50, every: time.Second},
		{limit: model.RateLimit{Requests: 300, PeriodSeconds: 60, Burst: 1500}, tokens: 5, maxToks: 1500, every: time.Second},
		{limit: model.RateLimit{Requests: 2, PeriodSeconds: 60, Burst: 4}, tokens: 2, maxToks: 4, every: time.Minute},
	}
	for _, tt := range tests {
		b := tokenBucket(tt.limit)
		if b.TokensPerFill.GetValue() != tt.tokens || b.MaxTokens != tt.maxToks || b.FillInterval.AsDuration() != tt.every {
			t.Errorf("tokenBucket(%+v) = %d tokens every %v up to %d, want %d every %v up to %d", tt.limit,
				b.TokensPerFill.GetValue(), b.FillInterval.AsDuration(), b.MaxTokens, tt.tokens, tt.every, tt.maxToks)
		}
	}
}

func TestSourceRangeRules(t *testing.T) {
	tests := []struct {
		name   string
		sr     model.SourceRanges
		action rbacconfigv3.RBAC_Action
		ids    int // principals and-ed together
	}{
		{name: "allow only", sr: model.SourceRanges{Allow: []string{"10.0.0.0/8", "::1/128"}}, action: rbacconfigv3.RBAC_ALLOW, ids: 1},
		{name: "deny only", sr: model.SourceRanges{Deny: []string{"10.0.0.0/8"}}, action: rbacconfigv3.RBAC_ALLOW, ids: 1},
		{name: "both", sr: model.SourceRanges{Allow: []string{"10.0.0.0/8"}, Deny: []string{"10.1.0.0/16"}}, action: rbacconfigv3.RBAC_ALLOW, ids: 2},
		{name: "deny all", sr: model.SourceRanges{DenyAll: true}, action: rbacconfigv3.RBAC_DENY},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules := sourceRangeRules(&tt.sr)
			if rules.Action != tt.action || len(rules.Policies) != 1 {
				t.Fatalf("rules %v", rules)
			}
			for _, p := range rules.Policies {
				if got := len(p.Principals[0].GetAndIds().GetIds()); tt.ids > 0 && got != tt.ids {
					t.Errorf("%d principals, want %d", got, tt.ids)
				}
			}
		})
	}
}

// TestPolicyOnlyOnItsRoutes checks that a policy enables its filters on its routes only, and that
// fleets without policies keep the plain filter chain.
func TestPolicyOnlyOnItsRoutes(t *testing.T) {
	snap := &model.Snapshot{RoutePolicies: []model.RoutePolicy{{
		Meta: model.Meta{Name: "p", Fleet: "f"}, Routes: []string{"guarded"},
		Spec: model.RoutePolicySpec{MaxRequestBodyBytes: 10, SourceRanges: &model.SourceRanges{DenyAll: true}},
	}}}
	b := &builder{snap: snap, fleet: "f", clusters: map[string]clusterRef{}}
	b.indexPolicies()
	if got := len(b.policyFilters()); got != 2 {
		t.Errorf("%d policy filters, want 2 (rbac, body limit)", got)
	}
	guarded, open := &routev3.Route{Name: "guarded"}, &routev3.Route{Name: "open"}
	b.applyPolicy(guarded, nil)
	b.applyPolicy(open, nil)
	if guarded.TypedPerFilterConfig[wellknown.HTTPRoleBasedAccessControl] == nil || guarded.TypedPerFilterConfig[bodyLimitFilter(10)] == nil {
		t.Errorf("guarded route: %v", guarded.TypedPerFilterConfig)
	}
	if len(open.TypedPerFilterConfig) != 0 {
		t.Errorf("open route: %v", open.TypedPerFilterConfig)
	}
	other := &builder{snap: snap, fleet: "other", clusters: map[string]clusterRef{}}
	other.indexPolicies()
	if got := other.policyFilters(); len(got) != 0 {
		t.Errorf("fleet without policies: %d policy filters", len(got))
	}
}

// TestBodyLimitFilters checks that the fleet's chain holds one body limit filter per distinct limit,
// in increasing order, and that each route enables the one of its own limit.
func TestBodyLimitFilters(t *testing.T) {
	limit := func(name string, routes []string, n uint64) model.RoutePolicy {
		return model.RoutePolicy{Meta: model.Meta{Name: name, Fleet: "f"}, Routes: routes, Spec: model.RoutePolicySpec{MaxRequestBodyBytes: n}}
	}
	snap := &model.Snapshot{RoutePolicies: []model.RoutePolicy{
		limit("big", []string{"upload"}, 1<<20), limit("small", []string{"form", "login"}, 1024), limit("also-small", []string{"api"}, 1024),
	}}
	b := &builder{snap: snap, fleet: "f", clusters: map[string]clusterRef{}}
	b.indexPolicies()
	var names []string
	for _, f := range b.policyFilters() {
		names = append(names, f.Name)
		if !f.Disabled {
			t.Errorf("filter %s is enabled in the chain", f.Name)
		}
	}
	if want := []string{"gatebridge.body_limit.1024", "gatebridge.body_limit.1048576"}; !slices.Equal(names, want) {
		t.Errorf("filters %v, want %v", names, want)
	}
	for route, want := range map[string]string{"upload": "gatebridge.body_limit.1048576", "form": "gatebridge.body_limit.1024", "api": "gatebridge.body_limit.1024"} {
		r := &routev3.Route{Name: route}
		b.applyPolicy(r, nil)
		if len(r.TypedPerFilterConfig) != 1 || r.TypedPerFilterConfig[want] == nil {
			t.Errorf("route %s enables %v, want %s only", route, slices.Sorted(maps.Keys(r.TypedPerFilterConfig)), want)
		}
	}
}
