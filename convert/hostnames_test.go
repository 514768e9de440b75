package convert

import (
	"slices"
	"testing"
)

func TestHostnameIntersection(t *testing.T) {
	tests := []struct{ listener, route, want string }{
		{"", "foo.example.com", "foo.example.com"},
		{"", "*.example.com", "*.example.com"},
		{"foo.example.com", "foo.example.com", "foo.example.com"},
		{"foo.example.com", "bar.example.com", ""},
		{"*.example.com", "foo.example.com", "foo.example.com"},
		{"*.example.com", "a.b.example.com", "a.b.example.com"},
		{"*.example.com", "example.com", ""},
		{"*.example.com", "foo.example.org", ""},
		{"foo.example.com", "*.example.com", "foo.example.com"},
		{"example.com", "*.example.com", ""},
		{"*.example.com", "*.foo.example.com", "*.foo.example.com"},
		{"*.foo.example.com", "*.example.com", "*.foo.example.com"},
		{"*.example.com", "*.example.org", ""},
	}
	for _, tt := range tests {
		if got := hostnameIntersection(tt.listener, tt.route); got != tt.want {
			t.Errorf("hostnameIntersection(%q, %q) = %q, want %q", tt.listener, tt.route, got, tt.want)
		}
	}
}

func TestRouteHostnames(t *testing.T) {
	tests := []struct {
		listener string
		route    []string
		want     []string
	}{
		{"", nil, []string{"*"}},
		{"*.example.com", nil, []string{"*.example.com"}},
		{"*.example.com", []string{"a.example.com", "b.example.org"}, []string{"a.example.com"}},
		{"a.example.com", []string{"b.example.com"}, nil},
	}
	for _, tt := range tests {
		if got := routeHostnames(tt.listener, tt.route); !slices.Equal(got, tt.want) {
			t.Errorf("routeHostnames(%q, %v) = %v, want %v", tt.listener, tt.route, got, tt.want)
		}
	}
}

func TestListenerMatchesHost(t *testing.T) {
	tests := []struct {
		listener, host string
		want           bool
	}{
		{"", "*", true},
		{"*.example.com", "*", false},
		{"*.example.com", "a.example.com", true},
		{"a.example.com", "a.example.com", true},
		{"a.example.com", "b.example.com", false},
	}
	for _, tt := range tests {
		if got := listenerMatchesHost(tt.listener, tt.host); got != tt.want {
			t.Errorf("listenerMatchesHost(%q, %q) = %v, want %v", tt.listener, tt.host, got, tt.want)
		}
	}
	if !(hostSpecificity("a.example.com") > hostSpecificity("*.a.example.com") &&
		hostSpecificity("*.a.example.com") > hostSpecificity("*.example.com") &&
		hostSpecificity("*.example.com") > hostSpecificity("")) {
		t.Errorf("hostSpecificity does not order exact > longer wildcard > wildcard > none")
	}
}
