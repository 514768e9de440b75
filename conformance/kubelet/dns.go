package kubelet

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
)

// whoamiZone is the zone the suite's CoreDNS configuration answers with the whoami plugin; it
// forwards every other name to public resolvers, which a private network cannot reach.
const whoamiZone = "foo.bar.com."

// runDNSStandIn stands in for the suite's CoreDNS pod (a backend of the UDPRoute tests only): on the
// pod's address, port 53 over UDP, it answers names of whoamiZone as the whoami plugin does (the
// client's address in the additional section) and every other name with SERVFAIL.
func (k *Kubelet) runDNSStandIn(ctx context.Context, pod *corev1.Pod, ip netip.Addr, run *podRun) {
	pc, err := net.ListenPacket("udp", netip.AddrPortFrom(ip, 53).String())
	if err != nil {
		k.report(ctx, pod, podState{reason: "CreateContainerError", message: err.Error()})
		return
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(whoami)}
	go func() {
		if err := srv.ActivateAndServe(); err != nil && ctx.Err() == nil {
			k.opts.Log.Warn("dns stand-in stopped", "pod", pod.Namespace+"/"+pod.Name, "err", err)
		}
	}()
	_, _ = run.log.Write([]byte("conformance kubelet: DNS stand-in for " + pod.Spec.Containers[0].Image + " on " + pc.LocalAddr().String() + "\n"))
	k.report(ctx, pod, podState{running: true, ready: true, ip: ip, started: time.Now()})
	<-ctx.Done()
	_ = srv.Shutdown()
}

func whoami(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	if len(req.Question) == 0 || !dns.IsSubDomain(whoamiZone, strings.ToLower(req.Question[0].Name)) {
		m.SetRcode(req, dns.RcodeServerFailure)
		_ = w.WriteMsg(m)
		return
	}
	m.Authoritative = true
	if a, ok := w.RemoteAddr().(*net.UDPAddr); ok {
		hdr := dns.RR_Header{Name: req.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET}
		m.Extra = append(m.Extra, &dns.A{Hdr: hdr, A: a.IP.To4()})
	}
	_ = w.WriteMsg(m)
}
