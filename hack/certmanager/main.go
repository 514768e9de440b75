// Command cert-manager runs cert-manager's controllers (the public packages of
// github.com/cert-manager/cert-manager) in one process, for gatebridge's tests: cert-manager's own
// command is not published as a Go module. No webhook, no cainjector, no leader election.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/component-base/featuregate"
	"k8s.io/klog/v2"

	"github.com/cert-manager/cert-manager/pkg/controller"
	logf "github.com/cert-manager/cert-manager/pkg/logs"
	utilfeature "github.com/cert-manager/cert-manager/pkg/util/feature"

	// Controllers register themselves in controller.Known() when imported.
	_ "github.com/cert-manager/cert-manager/pkg/controller/acmechallenges"
	_ "github.com/cert-manager/cert-manager/pkg/controller/acmeorders"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificate-shim/gateways"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificate-shim/ingresses"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificate-shim/listenerset"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/acme"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/approver"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/ca"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificaterequests/selfsigned"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/issuing"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/keymanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/readiness"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/requestmanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/revisionmanager"
	_ "github.com/cert-manager/cert-manager/pkg/controller/certificates/trigger"
	_ "github.com/cert-manager/cert-manager/pkg/controller/clusterissuers"
	_ "github.com/cert-manager/cert-manager/pkg/controller/issuers"
	// Issuer types register themselves too: without them no Issuer ever becomes Ready. Venafi is left
	// out on purpose (its client is not on the module proxy); Vault is not needed.
	_ "github.com/cert-manager/cert-manager/pkg/issuer/acme"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/ca"
	_ "github.com/cert-manager/cert-manager/pkg/issuer/selfsigned"
)

// defaultControllers make the SelfSigned, CA and ACME flows and both shims work.
var defaultControllers = []string{
	"issuers", "clusterissuers",
	"certificates-trigger", "certificates-issuing", "certificates-key-manager",
	"certificates-request-manager", "certificates-readiness", "certificates-revision-manager",
	"certificaterequests-approver",
	"certificaterequests-issuer-selfsigned", "certificaterequests-issuer-ca", "certificaterequests-issuer-acme",
	"orders", "challenges",
	"ingress-shim", "gateway-shim",
}

// gatewayShim needs the Gateway API informers, which only run with --enable-gateway-api.
const gatewayShim = "gateway-shim"

// listenerSetShim issues for the listeners of ListenerSets. It is alpha in cert-manager: it runs only
// with --enable-gateway-api, --enable-gateway-api-listenerset and the feature gate ListenerSets, as
// cert-manager's own command runs it with gatewayAPI.enabled, gatewayAPI.enableListenerSet and that
// gate. It is added to the controllers then, unless --controllers names them explicitly.
const (
	listenerSetShim = "listenerset"
	listenerSetGate = featuregate.Feature("ListenerSets")
)

type options struct {
	ctx          controller.ContextOptions
	controllers  []string
	workers      int
	featureGates string
	readyFile    string
	version      bool
	// controllersSet is true when --controllers was given.
	controllersSet bool
}

func main() {
	opts, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "cert-manager: %v\n", err)
		os.Exit(2)
	}
	if opts.version {
		fmt.Println(version())
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, opts); err != nil {
		fmt.Fprintf(os.Stderr, "cert-manager: %v\n", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (options, error) {
	fs := flag.NewFlagSet("cert-manager", flag.ContinueOnError)
	klog.InitFlags(fs) // -v and friends
	var o options
	var controllers, nameservers, autoAnnotations string
	c := &o.ctx
	fs.StringVar(&c.Kubeconfig, "kubeconfig", "", "kubeconfig file; in-cluster configuration when empty")
	fs.StringVar(&controllers, "controllers", strings.Join(defaultControllers, ","), "comma-separated controllers to run")
	fs.IntVar(&o.workers, "workers", 5, "workers per controller")
	fs.BoolVar(&c.EnableGatewayAPI, "enable-gateway-api", false, "watch Gateway API objects: the gateway-shim and HTTP-01 solvers through HTTPRoutes (needs the Gateway API CRDs)")
	fs.BoolVar(&c.EnableGatewayAPIListenerSet, "enable-gateway-api-listenerset", false, "with --enable-gateway-api and the feature gate ListenerSets: issue for ListenerSet listeners (needs the ListenerSet CRD)")
	fs.StringVar(&c.ClusterResourceNamespace, "cluster-resource-namespace", "kube-system", "namespace of the Secrets that ClusterIssuers refer to")
	fs.StringVar(&c.DefaultIssuerName, "default-issuer-name", "", "issuer of objects annotated only with kubernetes.io/tls-acme")
	fs.StringVar(&c.DefaultIssuerKind, "default-issuer-kind", "Issuer", "kind of --default-issuer-name")
	fs.StringVar(&c.DefaultIssuerGroup, "default-issuer-group", "cert-manager.io", "group of --default-issuer-name")
	fs.StringVar(&autoAnnotations, "auto-certificate-annotations", "kubernetes.io/tls-acme", "comma-separated annotations that ask for a certificate from the default issuer")
	fs.BoolVar(&c.EnableOwnerRef, "enable-certificate-owner-ref", false, "make each Certificate the owner of its Secret")
	fs.StringVar(&nameservers, "acme-http01-solver-nameservers", "", "comma-separated host:port DNS servers for the HTTP-01 self-check")
	fs.StringVar(&c.HTTP01SolverImage, "acme-http01-solver-image", "quay.io/jetstack/cert-manager-acmesolver:v1.21.2", "image of the HTTP-01 solver pods")
	fs.DurationVar(&c.CertificateRequestMinimumBackoffDuration, "certificate-request-minimum-backoff-duration", time.Hour, "first wait after a failed issuance")
	fs.DurationVar(&c.CertificateRequestMaximumBackoffDuration, "certificate-request-maximum-backoff-duration", 32*time.Hour, "longest wait after failed issuances")
	fs.StringVar(&o.featureGates, "feature-gates", "", "cert-manager feature gates, A=true,B=false")
	fs.StringVar(&o.readyFile, "ready-file", "", "file written once the informer caches are synced and the controllers run")
	fs.BoolVar(&o.version, "version", false, "print the cert-manager version and exit")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	fs.Visit(func(f *flag.Flag) { o.controllersSet = o.controllersSet || f.Name == "controllers" })
	o.controllers = splitList(controllers)
	c.HTTP01SolverNameservers = splitList(nameservers)
	c.DefaultAutoCertificateAnnotations = splitList(autoAnnotations)
	setFixedOptions(c)
	return o, nil
}

// version names the cert-manager module this runner was built with.
func version() string {
	const module = "github.com/cert-manager/cert-manager"
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == module {
				return "cert-manager " + dep.Version + " (controllers only: gatebridge's test runner)"
			}
		}
	}
	return "cert-manager (unknown version)"
}

// setFixedOptions sets the options cert-manager's own command defaults and these tests never change.
func setFixedOptions(c *controller.ContextOptions) {
	c.KubernetesAPIQPS, c.KubernetesAPIBurst = 20, 50
	c.ClusterIssuerAmbientCredentials = true
	c.HTTP01SolverResourceRequestCPU = resource.MustParse("10m")
	c.HTTP01SolverResourceRequestMemory = resource.MustParse("64Mi")
	c.HTTP01SolverResourceLimitsCPU = resource.MustParse("100m")
	c.HTTP01SolverResourceLimitsMemory = resource.MustParse("64Mi")
	c.ACMEHTTP01SolverRunAsNonRoot = true
	c.DNS01CheckRetryPeriod = 10 * time.Second
	c.MaxConcurrentChallenges = 60
	c.CopiedAnnotationPrefixes = []string{"*", "-kubectl.kubernetes.io/", "-fluxcd.io/", "-argocd.argoproj.io/"}
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func run(ctx context.Context, o options) error {
	if o.featureGates != "" {
		if err := utilfeature.DefaultMutableFeatureGate.Set(o.featureGates); err != nil {
			return fmt.Errorf("set feature gates: %w", err)
		}
	}
	log := logf.Log
	ctx = logf.NewContext(ctx, log)
	names, err := wantedControllers(o.controllers, o.controllersSet, o.ctx)
	if err != nil {
		return err
	}
	factory, err := controller.NewContextFactory(ctx, o.ctx)
	if err != nil {
		return fmt.Errorf("make controller context: %w", err)
	}
	ctrls := make(map[string]controller.Interface, len(names))
	for _, name := range names {
		c, err := controller.Known()[name](factory)
		if err != nil {
			return fmt.Errorf("construct controller %s: %w", name, err)
		}
		ctrls[name] = c
	}
	shared, err := startInformers(ctx, factory)
	if err != nil {
		return err
	}
	if o.readyFile != "" {
		go writeReady(ctx, shared, o.readyFile)
	}
	return runControllers(ctx, ctrls, o.workers)
}

// wantedControllers checks the names against the registered controllers. A shim whose informers
// would never start is left out: the gateway-shim without Gateway API support, the ListenerSet shim
// unless it is turned on (listenerSetsOn); that one is added when it is on and names is the default.
func wantedControllers(names []string, explicit bool, o controller.ContextOptions) ([]string, error) {
	listenerSets := listenerSetsOn(o)
	if listenerSets && !explicit {
		names = append(slices.Clone(names), listenerSetShim)
	}
	var out []string
	for _, name := range names {
		if _, ok := controller.Known()[name]; !ok {
			known := slices.Sorted(maps.Keys(controller.Known()))
			return nil, fmt.Errorf("unknown controller %q (known: %s)", name, strings.Join(known, ", "))
		}
		switch {
		case name == gatewayShim && !o.EnableGatewayAPI:
			logf.Log.Info("gateway-shim left out: --enable-gateway-api is not set")
			continue
		case name == listenerSetShim && !listenerSets:
			logf.Log.Info("listenerset left out: it needs --enable-gateway-api, --enable-gateway-api-listenerset and --feature-gates=ListenerSets=true")
			continue
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no controller to run")
	}
	return out, nil
}

// listenerSetsOn reports whether ListenerSets are turned on as cert-manager asks: Gateway API
// support, the ListenerSet option and the alpha feature gate. Then cert-manager checks at start that
// the ListenerSet CRD is served, and refuses to start when it is not.
func listenerSetsOn(o controller.ContextOptions) bool {
	return o.EnableGatewayAPI && o.EnableGatewayAPIListenerSet && utilfeature.DefaultFeatureGate.Enabled(listenerSetGate)
}

// startInformers starts the shared informer factories that the constructed controllers registered
// their informers with; every Context built by the factory shares them.
func startInformers(ctx context.Context, factory *controller.ContextFactory) (*controller.Context, error) {
	shared, err := factory.Build()
	if err != nil {
		return nil, fmt.Errorf("build controller context: %w", err)
	}
	stop := ctx.Done()
	shared.KubeSharedInformerFactory.Start(stop)
	shared.SharedInformerFactory.Start(stop)
	shared.HTTP01ResourceMetadataInformersFactory.Start(stop)
	if shared.GatewaySolverEnabled {
		shared.GWShared.Start(stop)
	}
	return shared, nil
}

// writeReady writes path once every started informer has synced, so that a test knows that objects
// it creates from then on are seen.
func writeReady(ctx context.Context, shared *controller.Context, path string) {
	stop := ctx.Done()
	unsynced := slices.Concat(
		notSynced(shared.SharedInformerFactory.WaitForCacheSync(stop)),
		notSynced(shared.HTTP01ResourceMetadataInformersFactory.WaitForCacheSync(stop)),
		notSynced(shared.KubeSharedInformerFactory.WaitForCacheSync(stop)),
	)
	if shared.GatewaySolverEnabled {
		unsynced = append(unsynced, notSynced(shared.GWShared.WaitForCacheSync(stop))...)
	}
	if len(unsynced) > 0 {
		// Only when ctx ended first: the process is stopping.
		logf.Log.Info("informers not synced, not ready", "informers", unsynced)
		return
	}
	if err := os.WriteFile(path, []byte("ready\n"), 0o644); err != nil {
		logf.Log.Error(err, "write the ready file")
	}
}

// notSynced names the informers of a WaitForCacheSync result that did not sync.
func notSynced[K comparable](m map[K]bool) []string {
	var out []string
	for k, ok := range m {
		if !ok {
			out = append(out, fmt.Sprint(k))
		}
	}
	return out
}

// runControllers runs every controller until ctx ends or one of them fails.
func runControllers(ctx context.Context, ctrls map[string]controller.Interface, workers int) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, len(ctrls))
	for name, c := range ctrls {
		go func() {
			err := c.Run(workers, ctx)
			if err != nil {
				err = fmt.Errorf("controller %s: %w", name, err)
			}
			errs <- err
		}()
	}
	logf.Log.Info("controllers started", "count", len(ctrls))
	var first error
	for range ctrls {
		if err := <-errs; err != nil && first == nil {
			first = err
			cancel()
		}
	}
	return first
}
