package convert

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"
	istionet "istio.io/api/networking/v1"
)

func TestExpandPath(t *testing.T) {
	str := func(s string) *string { return &s }
	type want struct {
		uri     *istionet.StringMatch
		rewrite string
	}
	tests := []struct {
		name string
		path pathMatch
		rw   pathRewrite
		want []want
	}{
		{"exact", pathMatch{pathExact, "/a"}, pathRewrite{}, []want{{exactURI("/a"), ""}}},
		{"regex", pathMatch{pathRegex, "/a/[0-9]+"}, pathRewrite{}, []want{{regexMatch("/a/[0-9]+"), ""}}},
		{"string prefix", pathMatch{pathStringPrefix, "/a"}, pathRewrite{}, []want{{prefixURI("/a"), ""}}},
		{"root prefix", pathMatch{pathSegmentPrefix, "/"}, pathRewrite{}, []want{{prefixURI("/"), ""}}},
		{"segment prefix", pathMatch{pathSegmentPrefix, "/a"}, pathRewrite{}, []want{{exactURI("/a"), ""}, {prefixURI("/a/"), ""}}},
		{"trailing slash is ignored", pathMatch{pathSegmentPrefix, "/a/"}, pathRewrite{}, []want{{exactURI("/a"), ""}, {prefixURI("/a/"), ""}}},
		{"prefix replaced", pathMatch{pathSegmentPrefix, "/a"}, pathRewrite{rewritePrefix: str("/b")}, []want{{exactURI("/a"), "/b"}, {prefixURI("/a/"), "/b/"}}},
		{"prefix stripped", pathMatch{pathSegmentPrefix, "/a"}, pathRewrite{rewritePrefix: str("/")}, []want{{exactURI("/a"), "/"}, {prefixURI("/a/"), "/"}}},
		{"empty replacement", pathMatch{pathSegmentPrefix, "/a"}, pathRewrite{rewritePrefix: str("")}, []want{{exactURI("/a"), "/"}, {prefixURI("/a/"), "/"}}},
		{"root replaced", pathMatch{pathSegmentPrefix, "/"}, pathRewrite{rewritePrefix: str("/b")}, []want{{exactURI("/"), "/b"}, {prefixURI("/"), "/b/"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			route := &istionet.HTTPRoute{Match: []*istionet.HTTPMatchRequest{{}}}
			got := expandPath(route, tt.path, tt.rw)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d routes, want %d", len(got), len(tt.want))
			}
			for i, w := range tt.want {
				if diff := cmp.Diff(w.uri, got[i].Match[0].Uri, protocmp.Transform()); diff != "" {
					t.Errorf("route %d uri (-want +got):\n%s", i, diff)
				}
				rewrite := ""
				if got[i].Rewrite != nil {
					rewrite = got[i].Rewrite.Uri
				}
				if rewrite != w.rewrite {
					t.Errorf("route %d rewrite = %q, want %q", i, rewrite, w.rewrite)
				}
			}
		})
	}
}

func TestRedirectPrefix(t *testing.T) {
	str := func(s string) *string { return &s }
	route := &istionet.HTTPRoute{Match: []*istionet.HTTPMatchRequest{{}}, Redirect: &istionet.HTTPRedirect{}}
	got := expandPath(route, pathMatch{pathSegmentPrefix, "/old"}, pathRewrite{redirectPrefix: str("/new")})
	if got[0].Redirect.Uri != "/new" || got[0].Redirect.PrefixRewrite != "" {
		t.Errorf("exact part redirect = %v, want the whole path /new", got[0].Redirect)
	}
	if got[1].Redirect.PrefixRewrite != "/new/" || got[1].Redirect.Uri != "" {
		t.Errorf("prefix part redirect = %v, want prefix rewrite /new/", got[1].Redirect)
	}
}
