package kubelet

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"sync"
	"time"
)

// errExhausted says that a pool has nothing left to give.
var errExhausted = errors.New("pool exhausted")

// addressPool hands out pod addresses: each pod its own, never reused while the kubelet runs, so that
// an address still in an EndpointSlice cannot reach a new pod.
type addressPool struct {
	mu     sync.Mutex
	prefix netip.Prefix
	next   netip.Addr
}

func newAddressPool(prefix netip.Prefix) *addressPool {
	return &addressPool{prefix: prefix.Masked(), next: prefix.Masked().Addr()}
}

func (p *addressPool) take() (netip.Addr, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.prefix.Contains(p.next) {
		a := p.next
		p.next = p.next.Next()
		// x.y.z.0 and x.y.z.255 are skipped: they look like network and broadcast addresses.
		if b := a.As4(); b[3] == 0 || b[3] == 255 {
			continue
		}
		return a, nil
	}
	return netip.Addr{}, fmt.Errorf("pod addresses of %s: %w", p.prefix, errExhausted)
}

// portPool hands out the private ports the pods' processes listen on. It stays below the ephemeral
// range so that no outgoing connection holds one, and away from every port a conformance Gateway uses.
type portPool struct {
	mu       sync.Mutex
	next     int
	first    int
	last     int
	released []int
}

func newPortPool(first, last int) *portPool {
	return &portPool{next: first, first: first, last: last}
}

// take returns a port no process listens on now.
func (p *portPool) take() (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.released) > 0 {
		port := p.released[0]
		p.released = p.released[1:]
		if portFree(port) {
			return port, nil
		}
	}
	for ; p.next <= p.last; p.next++ {
		if portFree(p.next) {
			p.next++
			return p.next - 1, nil
		}
	}
	return 0, fmt.Errorf("private ports %d-%d: %w", p.first, p.last, errExhausted)
}

func (p *portPool) release(ports ...int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.released = append(p.released, ports...)
}

// portFree reports whether the wildcard address of port can be bound, as the echo backend binds it.
func portFree(port int) bool {
	lis, err := net.Listen("tcp", fmt.Sprintf(":%d", port))
	if err != nil {
		return false
	}
	lis.Close()
	return true
}

// selfSignedCert makes the kubelet API's serving certificate for host.
func selfSignedCert(host string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("generate kubelet key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "conformance-kubelet"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if ip := net.ParseIP(host); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{host}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("sign kubelet certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
