package bridge

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
)

// LeaderElection configures the Lease through which replicas choose the one that writes status and
// Events. Every replica serves xDS whether it leads or not.
type LeaderElection struct {
	// Namespace and Name of the Lease; Identity of this replica (its pod name, say). All required.
	Namespace, Name, Identity string
	// LeaseDuration (default 15 s), RenewDeadline (10 s) and RetryPeriod (2 s) as in client-go: a
	// replica that stops without releasing the Lease is replaced after about LeaseDuration.
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
}

// lead runs the election until ctx ends, calling changed(true) when this replica becomes leader and
// changed(false) when it loses the Lease; a replica that lost it stands again. The Lease is released
// when ctx ends, so that another replica takes over at once.
func lead(ctx context.Context, kube kubernetes.Interface, le LeaderElection, changed func(bool)) error {
	if le.Namespace == "" || le.Name == "" || le.Identity == "" {
		return fmt.Errorf("leader election needs a namespace, a name and an identity (have %q, %q, %q)", le.Namespace, le.Name, le.Identity)
	}
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: le.Namespace, Name: le.Name},
		Client:     kube.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: le.Identity},
	}
	cfg := leaderelection.LeaderElectionConfig{
		Lock:            lock,
		LeaseDuration:   cmpDuration(le.LeaseDuration, 15*time.Second),
		RenewDeadline:   cmpDuration(le.RenewDeadline, 10*time.Second),
		RetryPeriod:     cmpDuration(le.RetryPeriod, 2*time.Second),
		ReleaseOnCancel: true,
		Name:            le.Name,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(context.Context) { changed(true) },
			OnStoppedLeading: func() { changed(false) },
		},
	}
	if _, err := leaderelection.NewLeaderElector(cfg); err != nil {
		return fmt.Errorf("leader election: %w", err)
	}
	go func() {
		for ctx.Err() == nil {
			elector, _ := leaderelection.NewLeaderElector(cfg) // the same config was accepted above
			elector.Run(ctx)                                   // returns when the Lease is lost or ctx ends
		}
	}()
	return nil
}
