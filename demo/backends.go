package demo

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/gatebridge/gatebridge/annotations"
	"github.com/gatebridge/gatebridge/convert"
)

// backendSpec is one demo backend: a local address of a Service's endpoints annotation.
type backendSpec struct {
	Service string // namespace/name
	Name    string // what it answers with: the Service's name
	Addr    string // host:port on a loopback address
}

// localBackends lists the addresses of the Services whose endpoints annotation points at this machine,
// sorted by address. An address named by several Services is served once, for the first of them.
func localBackends(in *convert.Input) []backendSpec {
	var out []backendSpec
	seen := map[string]bool{}
	for _, svc := range in.Services {
		v, ok := svc.Annotations[annotations.EndpointsAnnotation]
		if !ok {
			continue
		}
		eps, err := annotations.ParseEndpoints(v)
		if err != nil {
			continue // the translation reports it as a note
		}
		for _, ep := range eps {
			addr := net.JoinHostPort(ep.Host, fmt.Sprint(ep.Port))
			if !isLoopback(ep.Host) || seen[addr] {
				continue
			}
			seen[addr] = true
			out = append(out, backendSpec{Service: svc.Namespace + "/" + svc.Name, Name: svc.Name, Addr: addr})
		}
	}
	slices.SortFunc(out, func(a, b backendSpec) int { return cmp.Compare(a.Addr, b.Addr) })
	return out
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// backendHandler answers every request with the backend's name and the path it received, as plain text
// ("frontend-v1: /"), and names itself in the X-Backend header.
func backendHandler(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Backend", name)
		fmt.Fprintf(w, "%s: %s\n", name, r.URL.RequestURI())
	})
}

// backends are the running demo backends.
type backends []*http.Server

// startBackends listens on every address first, so that a busy port stops the demo before anything
// else runs, then serves them.
func startBackends(specs []backendSpec) (backends, error) {
	listeners := make([]net.Listener, 0, len(specs))
	for _, s := range specs {
		l, err := net.Listen("tcp", s.Addr)
		if err != nil {
			for _, open := range listeners {
				_ = open.Close()
			}
			return nil, fmt.Errorf("demo backend %s of service %s: %w", s.Addr, s.Service, err)
		}
		listeners = append(listeners, l)
	}
	out := make(backends, 0, len(specs))
	for i, s := range specs {
		srv := &http.Server{Handler: backendHandler(s.Name), ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(listeners[i]) }()
		out = append(out, srv)
	}
	return out, nil
}

// Close stops every backend.
func (b backends) Close() error {
	var errs []error
	for _, srv := range b {
		if err := srv.Close(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
