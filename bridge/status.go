package bridge

import (
	"context"
	"errors"
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"

	"github.com/gatebridge/gatebridge/convert"
)

// statusWriter writes the status translation wants onto the objects, and only where it differs from
// what the object (as last seen in the caches) has. A condition that keeps its status keeps its
// lastTransitionTime.
type statusWriter struct {
	kube       kubernetes.Interface
	gw         gwclient.Interface
	controller gwapiv1.GatewayController // parents of routes written by others are left alone
}

// write updates every object whose status changed and returns how many it wrote.
func (w *statusWriter) write(ctx context.Context, in *convert.Input, st *convert.Status) (int, error) {
	var errs []error
	n := 0
	count := func(wrote bool, err error) {
		if wrote {
			n++
		}
		errs = append(errs, err)
	}
	for i := range in.GatewayClasses {
		count(w.gatewayClass(ctx, &in.GatewayClasses[i], st))
	}
	for i := range in.Gateways {
		count(w.gateway(ctx, &in.Gateways[i], st))
	}
	for i := range in.ListenerSets {
		count(w.listenerSet(ctx, &in.ListenerSets[i], st))
	}
	for i := range in.HTTPRoutes {
		r := &in.HTTPRoutes[i]
		count(w.route("HTTPRoute", &r.ObjectMeta, &r.Status.RouteStatus, st, func(s gwapiv1.RouteStatus) error {
			c := r.DeepCopy()
			c.Status.RouteStatus = s
			_, err := w.gw.GatewayV1().HTTPRoutes(c.Namespace).UpdateStatus(ctx, c, metav1.UpdateOptions{})
			return err
		}))
	}
	for i := range in.GRPCRoutes {
		r := &in.GRPCRoutes[i]
		count(w.route("GRPCRoute", &r.ObjectMeta, &r.Status.RouteStatus, st, func(s gwapiv1.RouteStatus) error {
			c := r.DeepCopy()
			c.Status.RouteStatus = s
			_, err := w.gw.GatewayV1().GRPCRoutes(c.Namespace).UpdateStatus(ctx, c, metav1.UpdateOptions{})
			return err
		}))
	}
	for i := range in.TLSRoutes {
		r := &in.TLSRoutes[i]
		count(w.route("TLSRoute", &r.ObjectMeta, &r.Status.RouteStatus, st, func(s gwapiv1.RouteStatus) error {
			c := r.DeepCopy()
			c.Status.RouteStatus = s
			_, err := w.gw.GatewayV1().TLSRoutes(c.Namespace).UpdateStatus(ctx, c, metav1.UpdateOptions{})
			return err
		}))
	}
	for i := range in.Ingresses {
		count(w.ingress(ctx, &in.Ingresses[i], st))
	}
	for i := range in.BackendTLSPolicies {
		count(w.backendTLSPolicy(ctx, &in.BackendTLSPolicies[i], st))
	}
	return n, errors.Join(errs...)
}

func (w *statusWriter) gatewayClass(ctx context.Context, gc *gwapiv1.GatewayClass, st *convert.Status) (bool, error) {
	want, ok := st.GatewayClasses[convert.ObjectRef{Kind: "GatewayClass", Name: gc.Name}]
	if !ok {
		return false, nil
	}
	want.Conditions = keepTransitionTimes(gc.Status.Conditions, want.Conditions)
	if equality.Semantic.DeepEqual(gc.Status, want) {
		return false, nil
	}
	c := gc.DeepCopy()
	c.Status = want
	_, err := w.gw.GatewayV1().GatewayClasses().UpdateStatus(ctx, c, metav1.UpdateOptions{})
	return wrapStatus(err, "GatewayClass", "", gc.Name)
}

func (w *statusWriter) gateway(ctx context.Context, g *gwapiv1.Gateway, st *convert.Status) (bool, error) {
	want, ok := st.Gateways[convert.ObjectRef{Kind: "Gateway", Namespace: g.Namespace, Name: g.Name}]
	if !ok {
		return false, nil
	}
	want.Conditions = keepTransitionTimes(g.Status.Conditions, want.Conditions)
	for i := range want.Listeners {
		for _, old := range g.Status.Listeners {
			if old.Name == want.Listeners[i].Name {
				want.Listeners[i].Conditions = keepTransitionTimes(old.Conditions, want.Listeners[i].Conditions)
			}
		}
	}
	if equality.Semantic.DeepEqual(g.Status, want) {
		return false, nil
	}
	c := g.DeepCopy()
	c.Status = want
	_, err := w.gw.GatewayV1().Gateways(g.Namespace).UpdateStatus(ctx, c, metav1.UpdateOptions{})
	return wrapStatus(err, "Gateway", g.Namespace, g.Name)
}

func (w *statusWriter) listenerSet(ctx context.Context, ls *gwapiv1.ListenerSet, st *convert.Status) (bool, error) {
	want, ok := st.ListenerSets[convert.ObjectRef{Kind: "ListenerSet", Namespace: ls.Namespace, Name: ls.Name}]
	if !ok {
		return false, nil
	}
	want.Conditions = keepTransitionTimes(ls.Status.Conditions, want.Conditions)
	for i := range want.Listeners {
		for _, old := range ls.Status.Listeners {
			if old.Name == want.Listeners[i].Name {
				want.Listeners[i].Conditions = keepTransitionTimes(old.Conditions, want.Listeners[i].Conditions)
			}
		}
	}
	if equality.Semantic.DeepEqual(ls.Status, want) {
		return false, nil
	}
	c := ls.DeepCopy()
	c.Status = want
	_, err := w.gw.GatewayV1().ListenerSets(ls.Namespace).UpdateStatus(ctx, c, metav1.UpdateOptions{})
	return wrapStatus(err, "ListenerSet", ls.Namespace, ls.Name)
}

// writeRoute merges the parents gatebridge owns into a route's status (others' parents stay) and
// writes it with update when it changed.
func (w *statusWriter) route(kind string, meta *metav1.ObjectMeta, have *gwapiv1.RouteStatus, st *convert.Status,
	update func(gwapiv1.RouteStatus) error,
) (bool, error) {
	want, ok := st.Routes[convert.ObjectRef{Kind: kind, Namespace: meta.Namespace, Name: meta.Name}]
	if !ok {
		return false, nil
	}
	merged := gwapiv1.RouteStatus{}
	for _, p := range have.Parents {
		if p.ControllerName != w.controller {
			merged.Parents = append(merged.Parents, p)
		}
	}
	for _, p := range want.Parents {
		for _, old := range have.Parents {
			if old.ControllerName == p.ControllerName && equality.Semantic.DeepEqual(old.ParentRef, p.ParentRef) {
				p.Conditions = keepTransitionTimes(old.Conditions, p.Conditions)
			}
		}
		merged.Parents = append(merged.Parents, p)
	}
	if equality.Semantic.DeepEqual(*have, merged) {
		return false, nil
	}
	return wrapStatus(update(merged), kind, meta.Namespace, meta.Name)
}

// backendTLSPolicy merges the ancestors gatebridge owns into a policy's status (others' ancestors
// stay; ours that translation no longer wants go) and writes it when it changed.
func (w *statusWriter) backendTLSPolicy(ctx context.Context, p *gwapiv1.BackendTLSPolicy, st *convert.Status) (bool, error) {
	want := st.BackendTLSPolicies[convert.ObjectRef{Kind: "BackendTLSPolicy", Namespace: p.Namespace, Name: p.Name}]
	merged := gwapiv1.PolicyStatus{}
	for _, a := range p.Status.Ancestors {
		if a.ControllerName != w.controller {
			merged.Ancestors = append(merged.Ancestors, a)
		}
	}
	for _, a := range want.Ancestors {
		for _, old := range p.Status.Ancestors {
			if old.ControllerName == a.ControllerName && equality.Semantic.DeepEqual(old.AncestorRef, a.AncestorRef) {
				a.Conditions = keepTransitionTimes(old.Conditions, a.Conditions)
			}
		}
		merged.Ancestors = append(merged.Ancestors, a)
	}
	if equality.Semantic.DeepEqual(p.Status, merged) || len(p.Status.Ancestors) == 0 && len(merged.Ancestors) == 0 {
		return false, nil
	}
	c := p.DeepCopy()
	c.Status = merged
	_, err := w.gw.GatewayV1().BackendTLSPolicies(p.Namespace).UpdateStatus(ctx, c, metav1.UpdateOptions{})
	return wrapStatus(err, "BackendTLSPolicy", p.Namespace, p.Name)
}

func (w *statusWriter) ingress(ctx context.Context, ing *networkingv1.Ingress, st *convert.Status) (bool, error) {
	want, ok := st.Ingresses[convert.ObjectRef{Kind: "Ingress", Namespace: ing.Namespace, Name: ing.Name}]
	if !ok || equality.Semantic.DeepEqual(ing.Status, want) {
		return false, nil
	}
	c := ing.DeepCopy()
	c.Status = want
	_, err := w.kube.NetworkingV1().Ingresses(ing.Namespace).UpdateStatus(ctx, c, metav1.UpdateOptions{})
	return wrapStatus(err, "Ingress", ing.Namespace, ing.Name)
}

// keepTransitionTimes gives each wanted condition the lastTransitionTime it already has when its
// status did not change, so that an unchanged status compares equal and is not written again.
func keepTransitionTimes(have, want []metav1.Condition) []metav1.Condition {
	for i := range want {
		if old := apimeta.FindStatusCondition(have, want[i].Type); old != nil && old.Status == want[i].Status {
			want[i].LastTransitionTime = old.LastTransitionTime
		}
	}
	return want
}

func wrapStatus(err error, kind, namespace, name string) (bool, error) {
	if err != nil {
		return false, fmt.Errorf("write status of %s %s/%s: %w", kind, namespace, name, err)
	}
	return true, nil
}
