package envoyxds

import (
	"net/url"
	"strconv"
	"strings"

	xdscorev3 "github.com/cncf/xds/go/xds/core/v3"
	xdsmatcherv3 "github.com/cncf/xds/go/xds/type/matcher/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	customresponsev3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/custom_response/v3"
	localresponsev3 "github.com/envoyproxy/go-control-plane/envoy/extensions/http/custom_response/local_response_policy/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/gatebridge/gatebridge/model"
)

// originalURL is the URL of the request, as ingress-nginx puts it in the sign-in redirect (but not
// percent-encoded: Envoy's formatters have no escaping).
const originalURL = "%REQ(:scheme)%://%REQ(:authority)%%REQ(:path)%"

// signinVariables turn the nginx variables a sign-in URL may hold into Envoy formatters: $host is the
// request's authority (with its port, if any) and $escaped_request_uri is not escaped.
var signinVariables = strings.NewReplacer("$scheme", "%REQ(:scheme)%", "$host", "%REQ(:authority)%",
	"$escaped_request_uri", "%REQ(:path)%", "$request_uri", "%REQ(:path)%")

// signinMatcher answers each 401 of a route (its auth service's, and its backend's: the matcher cannot
// tell them apart) with a 302 to the sign-in URL, the original URL in the query parameter SigninParam
// unless the URL's query already has it (as ingress-nginx builds the redirect).
func signinMatcher(ea *model.ExtAuth) *xdsmatcherv3.Matcher_MatcherList_FieldMatcher {
	// A literal % of the URL (percent-encoding) must not start a formatter.
	location := signinVariables.Replace(strings.ReplaceAll(ea.SigninURL, "%", "%%"))
	_, query, hasQuery := strings.Cut(ea.SigninURL, "?")
	if q, err := url.ParseQuery(query); err != nil || !q.Has(ea.SigninParam) {
		sep := "?"
		if hasQuery {
			sep = "&"
		}
		location += sep + ea.SigninParam + "=" + originalURL
	}
	redirect := &localresponsev3.LocalResponsePolicy{
		StatusCode: wrapperspb.UInt32(302),
		ResponseHeadersToAdd: []*corev3.HeaderValueOption{{
			Header:       &corev3.HeaderValue{Key: "Location", Value: location},
			AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD,
		}},
	}
	return statusMatcher(401, "signin-redirect", redirect)
}

// statusMatcher runs an action of the custom_response filter on the answers with a status code.
func statusMatcher(code uint32, name string, action proto.Message) *xdsmatcherv3.Matcher_MatcherList_FieldMatcher {
	status := &xdsmatcherv3.Matcher_MatcherList_Predicate{MatchType: &xdsmatcherv3.Matcher_MatcherList_Predicate_SinglePredicate_{
		SinglePredicate: &xdsmatcherv3.Matcher_MatcherList_Predicate_SinglePredicate{
			Input: &xdscorev3.TypedExtensionConfig{Name: "status-code", TypedConfig: typed(&matcherv3.HttpResponseStatusCodeMatchInput{})},
			Matcher: &xdsmatcherv3.Matcher_MatcherList_Predicate_SinglePredicate_ValueMatch{
				ValueMatch: &xdsmatcherv3.StringMatcher{MatchPattern: &xdsmatcherv3.StringMatcher_Exact{Exact: strconv.FormatUint(uint64(code), 10)}},
			},
		},
	}}
	return &xdsmatcherv3.Matcher_MatcherList_FieldMatcher{
		Predicate: status,
		OnMatch: &xdsmatcherv3.Matcher_OnMatch{OnMatch: &xdsmatcherv3.Matcher_OnMatch_Action{
			Action: &xdscorev3.TypedExtensionConfig{Name: name, TypedConfig: typed(action)},
		}},
	}
}

// customResponseConfig is the custom_response configuration of a route: its matchers, the first that
// matches an answer's status acting on it.
func customResponseConfig(matchers []*xdsmatcherv3.Matcher_MatcherList_FieldMatcher) *customresponsev3.CustomResponse {
	return &customresponsev3.CustomResponse{CustomResponseMatcher: &xdsmatcherv3.Matcher{
		MatcherType: &xdsmatcherv3.Matcher_MatcherList_{MatcherList: &xdsmatcherv3.Matcher_MatcherList{Matchers: matchers}},
	}}
}
