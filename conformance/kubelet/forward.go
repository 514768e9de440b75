package kubelet

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// forwarder passes the TCP connections made to a pod's address and container port on to the private
// port its process listens on, byte for byte: a half-close is passed on as a half-close and a reset
// as a reset, so that clients see what they would see of the process itself.
type forwarder struct {
	lis    net.Listener
	target string

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

func startForwarder(listen, target string) (*forwarder, error) {
	lis, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", listen, err)
	}
	f := &forwarder{lis: lis, target: target, conns: map[net.Conn]struct{}{}}
	f.wg.Add(1)
	go f.serve()
	return f, nil
}

func (f *forwarder) serve() {
	defer f.wg.Done()
	for {
		c, err := f.lis.Accept()
		if err != nil {
			return
		}
		if !f.track(c) {
			return
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			defer f.untrack(c)
			f.forward(c.(*net.TCPConn))
		}()
	}
}

// forward connects to the target and copies both ways until both are done. A target that refuses is
// a reset for the client, as a closed port would be.
func (f *forwarder) forward(client *net.TCPConn) {
	c, err := net.DialTimeout("tcp", f.target, 5*time.Second)
	if err != nil {
		reset(client)
		return
	}
	backend := c.(*net.TCPConn)
	if !f.track(backend) {
		reset(client)
		backend.Close()
		return
	}
	defer f.untrack(backend)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); pipe(backend, client) }()
	go func() { defer wg.Done(); pipe(client, backend) }()
	wg.Wait()
	client.Close()
	backend.Close()
}

// pipe copies src to dst. At the end of src it half-closes dst; when either side fails (a reset, most
// often) it resets both, so that the other peer sees the reset too.
func pipe(dst, src *net.TCPConn) {
	_, err := io.Copy(dst, src)
	if err == nil {
		_ = dst.CloseWrite()
		return
	}
	if errors.Is(err, net.ErrClosed) {
		return
	}
	reset(dst)
	reset(src)
}

// reset closes c with a TCP RST rather than a FIN.
func reset(c *net.TCPConn) {
	_ = c.SetLinger(0)
	c.Close()
}

func (f *forwarder) track(c net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		c.Close()
		return false
	}
	f.conns[c] = struct{}{}
	return true
}

func (f *forwarder) untrack(c net.Conn) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.conns, c)
}

// close stops listening and ends every connection.
func (f *forwarder) close() {
	f.mu.Lock()
	f.closed = true
	f.lis.Close()
	for c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}
