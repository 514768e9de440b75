package bridge

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gatebridge/gatebridge/convert"
	"github.com/gatebridge/gatebridge/envoyxds"
)

// publisher runs the pipeline from an Input to the xDS server: translation, TLS material, Envoy
// resources per fleet. Standalone mode and the controller share it.
type publisher struct {
	server    *envoyxds.Server
	translate convert.Options
	envoy     envoyxds.Options
	log       *slog.Logger
	// bind gives, by fleet, the address its listeners bind instead of envoy.BindAddress (a Gateway's
	// address from the pool).
	bind map[string]string
	// fleets are those pushed last time: a fleet that disappears is pushed empty once.
	fleets []string
	// versions are, by fleet, the versions served after the last publish.
	versions map[string]string
}

// newPublisher makes the xDS server of a serving mode and the publisher that feeds it.
func newPublisher(log *slog.Logger, translate convert.Options, envoy envoyxds.Options) (*envoyxds.Server, *publisher) {
	server := envoyxds.NewServer(log)
	return server, &publisher{server: server, translate: translate, envoy: envoy, log: log}
}

// publish translates input and pushes every fleet. Translation validates each TLS Secret an object names (at
// topts.Now, see certs.Check): an unusable one is a broken reference of the listener or Ingress host
// that names it (a status condition or a note), and the snapshot carries the material of the usable
// ones only. Notes are logged; a fleet whose update is invalid keeps its last good configuration, and
// the first such error is returned. The Result is returned even then (its status and notes still apply).
func (p *publisher) publish(ctx context.Context, input convert.Input) (convert.Result, error) {
	topts := p.translate
	topts.Now = metav1.Now()
	res := convert.Translate(input, topts)
	for _, n := range res.Notes {
		p.log.Warn("note", "object", n.Object.String(), "reason", n.Reason, "message", n.Message)
	}
	snap := &res.Snapshot
	if err := snap.Validate(); err != nil {
		return res, fmt.Errorf("model: %w", err)
	}
	current := snap.Fleets()
	fleets := slices.Clone(current)
	for _, gone := range p.fleets {
		if !slices.Contains(current, gone) {
			fleets = append(fleets, gone) // pushed empty, so its Envoys drop the old listeners
		}
	}
	p.fleets = current
	var firstErr error
	p.versions = map[string]string{}
	for _, fleet := range fleets {
		opts := p.envoy
		if a := p.bind[fleet]; a != "" {
			opts.BindAddress = a
		}
		resources, err := envoyxds.Translate(snap, fleet, opts)
		if err == nil {
			_, err = p.server.Update(ctx, fleet, resources)
		}
		p.versions[fleet] = p.server.Version(fleet)
		if err == nil && !slices.Contains(current, fleet) {
			p.server.Retire(fleet) // gone: served empty from now on, nothing to fall back to
		}
		if err != nil {
			p.log.Error("configuration not pushed; the fleet keeps its last good one", "fleet", fleet, "error", err)
			if firstErr == nil {
				firstErr = err
			}
		}
	}
	return res, firstErr
}
