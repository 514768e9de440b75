package bridge

import (
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/gatebridge/gatebridge/convert"
)

func TestAssignAddresses(t *testing.T) {
	class := gwapiv1.GatewayClass{ObjectMeta: metav1.ObjectMeta{Name: "gb"}, Spec: gwapiv1.GatewayClassSpec{ControllerName: convert.DefaultGatewayController}}
	other := gwapiv1.GatewayClass{ObjectMeta: metav1.ObjectMeta{Name: "other"}, Spec: gwapiv1.GatewayClassSpec{ControllerName: "example.com/other"}}
	ip := gwapiv1.IPAddressType
	host := gwapiv1.HostnameAddressType
	gateway := func(name string, age int, class string, status string, spec ...gwapiv1.GatewaySpecAddress) gwapiv1.Gateway {
		g := gwapiv1.Gateway{
			ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, CreationTimestamp: metav1.NewTime(time.Unix(int64(1000-age), 0))},
			Spec:       gwapiv1.GatewaySpec{GatewayClassName: gwapiv1.ObjectName(class), Addresses: spec},
		}
		if status != "" {
			g.Status.Addresses = []gwapiv1.GatewayStatusAddress{{Type: &ip, Value: status}}
		}
		return g
	}
	ingressClass := networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "gatebridge"}, Spec: networkingv1.IngressClassSpec{Controller: convert.DefaultIngressController}}
	pool := Addressing{Pool: netip.MustParsePrefix("10.250.0.0/29")}
	cases := []struct {
		name string
		a    Addressing
		in   convert.Input
		want assigned
	}{{
		name: "oldest first, .0 never given, other classes skipped, then the Ingress class",
		a:    pool,
		in: convert.Input{GatewayClasses: []gwapiv1.GatewayClass{class, other}, IngressClasses: []networkingv1.IngressClass{ingressClass},
			Gateways: []gwapiv1.Gateway{gateway("young", 1, "gb", ""), gateway("old", 5, "gb", ""), gateway("theirs", 9, "other", "")}},
		want: assigned{
			gateways: map[string][]string{"ns/old": {"10.250.0.1"}, "ns/young": {"10.250.0.2"}},
			classes:  map[string][]string{"gatebridge": {"10.250.0.3"}},
			bind:     map[string]string{"gateway-ns-old": "10.250.0.1", "gateway-ns-young": "10.250.0.2", "ingress-gatebridge": "10.250.0.3"},
		},
	}, {
		name: "status addresses are kept, spec.addresses honoured or refused",
		a:    pool,
		in: convert.Input{GatewayClasses: []gwapiv1.GatewayClass{class}, Gateways: []gwapiv1.Gateway{
			gateway("kept", 1, "gb", "10.250.0.5"),
			gateway("asks", 2, "gb", "", gwapiv1.GatewaySpecAddress{Type: &ip, Value: "10.250.0.6"}),
			gateway("outside", 3, "gb", "", gwapiv1.GatewaySpecAddress{Type: &ip, Value: "10.1.0.1"}),
			gateway("taken", 0, "gb", "", gwapiv1.GatewaySpecAddress{Value: "10.250.0.6"}),
			gateway("hostname", 5, "gb", "", gwapiv1.GatewaySpecAddress{Type: &host, Value: "gw.example.com"}),
			gateway("any", 6, "gb", "", gwapiv1.GatewaySpecAddress{Type: &ip}),
			gateway("two-one-outside", 7, "gb", "", gwapiv1.GatewaySpecAddress{Value: "192.0.2.250"}, gwapiv1.GatewaySpecAddress{Value: "10.250.0.7"}),
			gateway("two-usable", 8, "gb", "", gwapiv1.GatewaySpecAddress{Value: "10.250.0.3"}, gwapiv1.GatewaySpecAddress{Value: "10.250.0.4"}),
		}},
		want: assigned{
			gateways: map[string][]string{"ns/kept": {"10.250.0.5"}, "ns/asks": {"10.250.0.6"}, "ns/any": {"10.250.0.1"}},
			errors: map[string]string{
				"ns/outside":  "address 10.1.0.1 is not in the pool 10.250.0.0/29",
				"ns/taken":    "address 10.250.0.6 is already used by ns/asks",
				"ns/hostname": "address type Hostname is not supported; use an IPAddress of the pool 10.250.0.0/29",
				// The first unusable address is named, even when another of the Gateway's is usable.
				"ns/two-one-outside": "address 192.0.2.250 is not in the pool 10.250.0.0/29",
				"ns/two-usable":      "only one address per Gateway is supported",
			},
			classes: map[string][]string{"gatebridge": {"10.250.0.2"}},
			bind: map[string]string{"gateway-ns-kept": "10.250.0.5", "gateway-ns-asks": "10.250.0.6", "gateway-ns-any": "10.250.0.1",
				"ingress-gatebridge": "10.250.0.2"},
		},
	}, {
		name: "an exhausted pool is an error on the youngest Gateway",
		a:    Addressing{Pool: netip.MustParsePrefix("10.250.0.0/30")},
		in: convert.Input{GatewayClasses: []gwapiv1.GatewayClass{class}, Gateways: []gwapiv1.Gateway{
			gateway("a", 4, "gb", ""), gateway("b", 3, "gb", ""), gateway("c", 2, "gb", ""), gateway("d", 1, "gb", ""),
		}},
		want: assigned{
			gateways: map[string][]string{"ns/a": {"10.250.0.1"}, "ns/b": {"10.250.0.2"}, "ns/c": {"10.250.0.3"}},
			errors:   map[string]string{"ns/d": "the address pool 10.250.0.0/30 is exhausted"},
			classes:  map[string][]string{},
			bind:     map[string]string{"gateway-ns-a": "10.250.0.1", "gateway-ns-b": "10.250.0.2", "gateway-ns-c": "10.250.0.3"},
		},
	}, {
		name: "fleet Services give load balancer addresses",
		a:    Addressing{FleetServiceNamespace: "gatebridge-system"},
		in: convert.Input{GatewayClasses: []gwapiv1.GatewayClass{class}, Gateways: []gwapiv1.Gateway{gateway("web", 1, "gb", "")},
			Services: []corev1.Service{
				fleetService("gatebridge-system", "gateway-ns-web", corev1.LoadBalancerIngress{IP: "203.0.113.7"}),
				fleetService("gatebridge-system", "ingress-gatebridge", corev1.LoadBalancerIngress{Hostname: "lb.example.com"}),
				fleetService("elsewhere", "gateway-ns-web", corev1.LoadBalancerIngress{IP: "198.51.100.1"}),
			}},
		want: assigned{
			gateways: map[string][]string{"ns/web": {"203.0.113.7"}},
			classes:  map[string][]string{"gatebridge": {"lb.example.com"}},
			bind:     map[string]string{},
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.a.assign(&tc.in, convert.Options{})
			if tc.want.errors == nil {
				tc.want.errors = map[string]string{}
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(assigned{})); diff != "" {
				t.Errorf("assign (-want +got):\n%s", diff)
			}
		})
	}
}

func fleetService(namespace, fleet string, lb corev1.LoadBalancerIngress) corev1.Service {
	return corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: fleet, Labels: map[string]string{FleetLabel: fleet}},
		Status:     corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{lb}}},
	}
}
