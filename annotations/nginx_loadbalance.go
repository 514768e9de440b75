package annotations

import (
	"regexp"
	"strings"
)

var nginxLoadBalanceKeys = []string{"load-balance", "upstream-hash-by", "upstream-hash-by-subset", "upstream-hash-by-subset-size"}

// NginxLoadBalance is how requests are spread over the endpoints of a backend Service. The zero value
// is round robin.
type NginxLoadBalance struct {
	// LeastRequest replaces round robin (load-balance: ewma).
	LeastRequest bool
	// Hash, when set, sends the requests with the same key to the same endpoint (upstream-hash-by).
	Hash *NginxHash
}

// NginxHash is the key of consistent hashing: exactly one of its fields is set.
type NginxHash struct {
	// SourceIP hashes the client's address.
	SourceIP bool
	// Header hashes a request header (lower case), or a pseudo-header such as ":path".
	Header string
	// Cookie hashes a cookie; a request without it has no key.
	Cookie string
	// QueryParameter hashes a query parameter.
	QueryParameter string
}

// nginxVariableName is what may follow $http_, $cookie_ or $arg_ in an nginx variable.
var nginxVariableName = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

// loadBalance reads load-balance and upstream-hash-by. As in ingress-nginx, cookie affinity takes
// precedence over upstream-hash-by, which takes precedence over load-balance.
func (p *nginxParser) loadBalance(affinity bool) NginxLoadBalance {
	var lb NginxLoadBalance
	if affinity {
		p.unused("affinity: cookie takes precedence", nginxLoadBalanceKeys...)
		return lb
	}
	if v, ok := p.value("upstream-hash-by"); ok {
		lb.Hash = p.hashKey(v)
	}
	p.hashSubset(lb.Hash != nil)
	v, ok := p.value("load-balance")
	switch {
	case !ok:
	case v != "round_robin" && v != "ewma":
		p.invalid("load-balance", "%q is not served (round_robin and ewma are)", v)
	case lb.Hash != nil:
		p.invalid("load-balance", "upstream-hash-by takes precedence")
	case v == "ewma":
		lb.LeastRequest = true
		p.approximated("load-balance", "ewma is served as Envoy's least request: of two endpoints drawn at random, "+
			"the one with fewer active requests, where ewma weighs endpoints by a moving average of their latency")
	}
	return lb
}

// hashKey reads the value of upstream-hash-by: one nginx variable that Envoy can hash.
func (p *nginxParser) hashKey(v string) *NginxHash {
	name := func(prefix string) string {
		if rest, ok := strings.CutPrefix(v, prefix); ok && nginxVariableName.MatchString(rest) {
			return rest
		}
		return ""
	}
	switch {
	case v == "$remote_addr" || v == "$binary_remote_addr":
		return &NginxHash{SourceIP: true}
	case v == "$request_uri":
		if p.has("rewrite-target") {
			p.approximated("upstream-hash-by", "$request_uri is hashed as Envoy's :path, which may be the path after rewrite-target")
		}
		return &NginxHash{Header: ":path"}
	case v == "$uri":
		p.approximated("upstream-hash-by", "$uri is hashed with the query string (Envoy's :path)")
		return &NginxHash{Header: ":path"}
	case v == "$host":
		p.approximated("upstream-hash-by", "$host is hashed as Envoy's :authority, with the port when the request names one")
		return &NginxHash{Header: ":authority"}
	case name("$http_") != "":
		return &NginxHash{Header: strings.ReplaceAll(strings.ToLower(name("$http_")), "_", "-")}
	case name("$cookie_") != "":
		return &NginxHash{Cookie: name("$cookie_")}
	case name("$arg_") != "":
		return &NginxHash{QueryParameter: name("$arg_")}
	}
	p.invalid("upstream-hash-by", "%q is not served: the key must be one of $remote_addr, $binary_remote_addr, $request_uri, "+
		"$uri, $host, $http_<header>, $cookie_<name>, $arg_<name>, alone", v)
	return nil
}

// hashSubset reads upstream-hash-by-subset and its size: Envoy hashes each key to one endpoint, not
// to a group of endpoints among which nginx picks at random.
func (p *nginxParser) hashSubset(hash bool) {
	if !hash {
		p.unused("needs a usable upstream-hash-by", "upstream-hash-by-subset", "upstream-hash-by-subset-size")
		return
	}
	if !p.bool("upstream-hash-by-subset", false) {
		p.unused("needs upstream-hash-by-subset: \"true\"", "upstream-hash-by-subset-size")
		return
	}
	size := p.int("upstream-hash-by-subset-size", 1, 3)
	p.approximated("upstream-hash-by-subset", "each key goes to one endpoint, not to one of a subset of %d endpoints drawn at random", size)
}
