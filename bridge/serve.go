package bridge

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/gatebridge/gatebridge/envoyxds"
)

// page is an HTTP handler served on a listener of its own (debug pages, metrics and health).
type page struct {
	lis     net.Listener
	handler http.Handler
}

// serveWhile serves xDS on lis, and each page whose listener is not nil, while work runs. work
// gets a channel on which a server that stops early reports; it says whether it took that report. The
// servers stop when work returns; serveWhile returns once all have stopped, with work's error or the
// first server error.
func serveWhile(ctx context.Context, server *envoyxds.Server, lis net.Listener, pages []page,
	work func(ctx context.Context, stopped <-chan error) (bool, error),
) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	servers := []func(context.Context) error{func(ctx context.Context) error { return server.Serve(ctx, lis) }}
	for _, p := range pages {
		if p.lis != nil {
			servers = append(servers, func(ctx context.Context) error { return serveHTTP(ctx, p.lis, p.handler) })
		}
	}
	errc := make(chan error, len(servers))
	for _, serve := range servers {
		go func() { errc <- serve(ctx) }()
	}
	running := len(servers)
	took, err := work(ctx, errc)
	if took {
		running--
	}
	cancel()
	for ; running > 0; running-- {
		if e := <-errc; err == nil {
			err = e
		}
	}
	return err
}

// serveHTTP serves h on lis until ctx ends, then shuts the HTTP server down.
func serveHTTP(ctx context.Context, lis net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdownCtx); err != nil {
			srv.Close()
		}
	}()
	err := srv.Serve(lis)
	if errors.Is(err, http.ErrServerClosed) {
		<-stopped
		return nil
	}
	return fmt.Errorf("serve http on %s: %w", lis.Addr(), err)
}
