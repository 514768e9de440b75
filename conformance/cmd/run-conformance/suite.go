package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/sets"
	"sigs.k8s.io/gateway-api/pkg/features"
)

// profiles are the conformance profiles run; each brings its core features with it.
var profiles = []string{"GATEWAY-HTTP", "GATEWAY-TLS", "GATEWAY-GRPC"}

// claimedFeatures are the extended features gatebridge claims: those whose every test passes here.
// Regenerate with -features (every extended feature of the profiles) after a change, and keep only
// the features none of whose tests fail.
//
// Not claimed, each failing or never written: GatewayInfrastructure (labels and annotations of
// spec.infrastructure on the fleet's resources, parametersRef).
var claimedFeatures = []features.FeatureName{
	features.SupportBackendTLSPolicy,
	features.SupportBackendTLSPolicySANValidation,
	features.SupportGatewayAddressEmpty,
	features.SupportGatewayBackendClientCertificate,
	features.SupportGatewayFrontendClientCertificateValidation,
	features.SupportGatewayFrontendClientCertificateValidationInsecureFallback,
	features.SupportGatewayHTTPListenerIsolation,
	features.SupportGatewayHTTPSListenerDetectMisdirectedRequests,
	features.SupportGatewayPort8080,
	features.SupportGatewayStaticAddresses,
	features.SupportGRPCRouteNamedRouteRule,
	features.SupportHTTPRoute303RedirectStatusCode,
	features.SupportHTTPRoute307RedirectStatusCode,
	features.SupportHTTPRoute308RedirectStatusCode,
	features.SupportHTTPRouteBackendProtocolH2C,
	features.SupportHTTPRouteBackendProtocolWebSocket,
	features.SupportHTTPRouteBackendRequestHeaderModification,
	features.SupportHTTPRouteBackendTimeout,
	features.SupportHTTPRouteCORS,
	features.SupportHTTPRouteDestinationPortMatching,
	features.SupportHTTPRouteHostRewrite,
	features.SupportHTTPRouteMethodMatching,
	features.SupportHTTPRouteNamedRouteRule,
	features.SupportHTTPRouteParentRefPort,
	features.SupportHTTPRoutePathRedirect,
	features.SupportHTTPRoutePathRewrite,
	features.SupportHTTPRoutePortRedirect,
	features.SupportHTTPRouteQueryParamMatching,
	features.SupportHTTPRouteRequestMirror,
	features.SupportHTTPRouteRequestMultipleMirrors,
	features.SupportHTTPRouteRequestPercentageMirror,
	features.SupportHTTPRouteRequestTimeout,
	features.SupportHTTPRouteResponseHeaderModification,
	features.SupportHTTPRouteRetry,
	features.SupportHTTPRouteRetryBackendTimeout,
	features.SupportHTTPRouteRetryConnectionError,
	features.SupportHTTPRouteSchemeRedirect,
	features.SupportListenerSet,
	features.SupportTLSRouteModeMixed,
	features.SupportTLSRouteModeTerminate,
}

// skippedTests are tests of the claimed features not run, each with why. Empty: every test of a
// claimed feature runs.
var skippedTests = map[string]string{}

// Addresses of GatewayStaticAddresses: one the pool can give (far from the first free ones, which other
// Gateways take) and one outside it.
const (
	usableAddress   = "10.250.255.250"
	unusableAddress = "192.0.2.250"
)

// suiteArgs are the suite's flags for a run.
func suiteArgs(c config) []string {
	claimed := names(claimedFeatures)
	switch c.features {
	case "":
	case allExtended:
		claimed = extendedFeatures()
	default:
		claimed = strings.Split(c.features, ",")
	}
	exempt := sortedNames(features.MeshCoreFeatures, features.MeshExtendedFeatures)
	args := []string{
		"-test.v", "-test.timeout=60m", "-test.run=^TestConformance$",
		"--gateway-class=" + gatewayClass,
		"--conformance-profiles=" + strings.Join(profiles, ","),
		"--supported-features=" + strings.Join(append(coreFeatures(), claimed...), ","),
		"--exempt-features=" + strings.Join(exempt, ","),
		"--usable-address=" + usableAddress,
		"--unusable-address=" + unusableAddress,
		// The cluster is thrown away after the run: deleting the base resources would only take time.
		"--cleanup-base-resources=false",
		"--organization=gatebridge", "--project=gatebridge",
		"--url=https://github.com/gatebridge/gatebridge", "--version=" + c.version,
		"--contact=https://github.com/gatebridge/gatebridge/issues",
	}
	if len(skippedTests) > 0 {
		args = append(args, "--skip-tests="+strings.Join(slices.Sorted(maps.Keys(skippedTests)), ","))
	}
	if c.report != "" {
		args = append(args, "--report-output="+c.report)
	}
	if c.runTest != "" {
		args = append(args, "--run-test="+c.runTest)
	}
	return append(args, strings.Fields(c.suiteArgs)...)
}

// coreFeatures are the core features of the profiles, which a profile enables by itself; they are
// passed too so that the suite does not look for them in the GatewayClass's status.
func coreFeatures() []string {
	return sortedNames(features.GatewayCoreFeatures, features.HTTPRouteCoreFeatures,
		features.ReferenceGrantCoreFeatures, features.TLSRouteCoreFeatures, features.GRPCRouteCoreFeatures)
}

// allExtended is the -features value that tests every extended feature of the profiles.
const allExtended = "extended"

// extendedFeatures are the extended features of the profiles.
func extendedFeatures() []string {
	return sortedNames(features.GatewayExtendedFeatures, features.HTTPRouteExtendedFeatures,
		features.BackendTLSPolicyCoreFeatures, features.BackendTLSPolicyExtendedFeatures,
		features.TLSRouteExtendedFeatures, features.GRPCRouteExtendedFeatures)
}

// sortedNames returns the names of the features of some feature sets, sorted, without repeats.
func sortedNames(fs ...sets.Set[features.Feature]) []string {
	return names(sets.List(features.SetsToNamesSet(fs...)))
}

func names(fs []features.FeatureName) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = string(f)
	}
	return out
}

// runSuite runs the suite's test binary against the environment, its output going to the terminal and
// to suite.log in the work folder.
func runSuite(ctx context.Context, c config, env *environment, log *slog.Logger) error {
	logFile, err := os.Create(filepath.Join(c.work, "suite.log"))
	if err != nil {
		return fmt.Errorf("make the suite log: %w", err)
	}
	defer logFile.Close()
	if c.report != "" {
		if err := os.MkdirAll(filepath.Dir(c.report), 0o755); err != nil {
			return fmt.Errorf("make the report folder: %w", err)
		}
	}
	args := suiteArgs(c)
	log.Info("running the suite", "args", strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, c.suite, args...)
	cmd.Dir = c.work
	cmd.Env = append(os.Environ(), "KUBECONFIG="+env.cluster.Kubeconfig)
	out := io.MultiWriter(os.Stdout, logFile)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("the suite failed (see %s): %w", logFile.Name(), err)
	}
	return nil
}
