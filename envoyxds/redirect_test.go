package envoyxds

import (
	"testing"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	istionet "istio.io/api/networking/v1"
)

func TestRedirectActionPort(t *testing.T) {
	fromRequest := &istionet.HTTPRedirect_DerivePort{DerivePort: istionet.HTTPRedirect_FROM_REQUEST_PORT}
	fromScheme := &istionet.HTTPRedirect_DerivePort{DerivePort: istionet.HTTPRedirect_FROM_PROTOCOL_DEFAULT}
	tests := []struct {
		name     string
		redirect *istionet.HTTPRedirect
		port     uint32
		want     uint32
	}{
		{name: "a new host on a listener of 8080 keeps 8080", redirect: &istionet.HTTPRedirect{Authority: "example.org", RedirectPort: fromRequest}, port: 8080, want: 8080},
		{name: "a new host on port 80 names no port", redirect: &istionet.HTTPRedirect{Authority: "example.org", RedirectPort: fromRequest}, port: 80},
		{name: "a new host on port 443 names no port", redirect: &istionet.HTTPRedirect{Authority: "example.org", RedirectPort: fromRequest}, port: 443},
		{name: "a scheme change takes the scheme's default port", redirect: &istionet.HTTPRedirect{Scheme: "https", RedirectPort: fromScheme}, port: 8080},
		{name: "an explicit port wins", redirect: &istionet.HTTPRedirect{RedirectPort: &istionet.HTTPRedirect_Port{Port: 8443}}, port: 8080, want: 8443},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := redirectAction(tt.redirect, tt.port)
			if got.PortRedirect != tt.want {
				t.Errorf("port_redirect = %d, want %d", got.PortRedirect, tt.want)
			}
			if got.ResponseCode != routev3.RedirectAction_MOVED_PERMANENTLY {
				t.Errorf("code = %v, want 301 when none is given", got.ResponseCode)
			}
		})
	}
}
