package bridge

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"time"

	"github.com/gatebridge/gatebridge/convert"
	"github.com/gatebridge/gatebridge/envoyxds"
)

// StandaloneOptions configure standalone mode.
type StandaloneOptions struct {
	Dir       string
	Translate convert.Options
	Envoy     envoyxds.Options
	// Poll is how often the folder is checked for changes.
	Poll time.Duration
	Log  *slog.Logger
	// DebugListener, when set, is where Run serves the read-only debug pages (envoyxds.Server.DebugHandler):
	// listen on a loopback address, they have no authentication.
	DebugListener net.Listener
}

// Standalone serves the manifests of a folder to Envoy fleets and follows edits to them.
type Standalone struct {
	opts   StandaloneOptions
	Server *envoyxds.Server

	loader    *convert.FolderLoader
	publisher *publisher
}

// NewStandalone prepares standalone mode; Run serves it.
func NewStandalone(opts StandaloneOptions) *Standalone {
	if opts.Poll == 0 {
		opts.Poll = 300 * time.Millisecond
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	server, pub := newPublisher(opts.Log, opts.Translate, opts.Envoy)
	return &Standalone{
		opts:      opts,
		Server:    server,
		loader:    &convert.FolderLoader{Dir: opts.Dir, DefaultNamespace: "default"},
		publisher: pub,
	}
}

// Run serves xDS on lis (and the debug pages on opts.DebugListener) and re-reads the folder whenever it
// changes, until ctx ends or a server fails; it returns once every server has stopped.
func (s *Standalone) Run(ctx context.Context, lis net.Listener) error {
	return serveWhile(ctx, s.Server, lis, []page{{s.opts.DebugListener, s.Server.DebugHandler()}}, s.follow)
}

// follow syncs the folder whenever it changes, until ctx ends or a server stops (stopped, with what
// that server returned).
func (s *Standalone) follow(ctx context.Context, errc <-chan error) (stopped bool, err error) {
	tick := time.NewTicker(s.opts.Poll)
	defer tick.Stop()
	for {
		if err := s.syncIfChanged(ctx); err != nil {
			s.opts.Log.Error("sync", "dir", s.opts.Dir, "error", err)
		}
		select {
		case <-ctx.Done():
			return false, nil
		case err := <-errc:
			return true, err
		case <-tick.C:
		}
	}
}

// syncIfChanged translates and pushes the folder when its files changed since the last sync. Only
// the files that changed are read again; manifests that cannot be read are reported and skipped.
func (s *Standalone) syncIfChanged(ctx context.Context) error {
	input, changed, loadErr := s.loader.Load()
	if errors.Is(loadErr, convert.ErrUnreadableFolder) {
		return loadErr // keep serving what was loaded before
	}
	if !changed {
		return nil
	}
	if loadErr != nil {
		s.opts.Log.Warn("some manifests were skipped", "error", loadErr)
	}
	_, err := s.publisher.publish(ctx, input)
	return err
}
