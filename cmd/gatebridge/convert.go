package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/gatebridge/gatebridge/certs"
	"github.com/gatebridge/gatebridge/convert"
	"github.com/gatebridge/gatebridge/model"
)

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// addTranslationFlags registers the flags that become convert.Options.
func addTranslationFlags(fs *flag.FlagSet, o *convert.Options) {
	fs.StringVar(&o.IngressController, "ingress-controller", convert.DefaultIngressController, "spec.controller of the IngressClasses to serve")
	fs.StringVar(&o.IngressClassValue, "ingress-class", convert.DefaultIngressClassValue, "value of the kubernetes.io/ingress.class annotation to serve")
	fs.BoolVar(&o.WatchIngressWithoutClass, "watch-ingress-without-class", false, "also serve Ingresses that name no class")
	fs.StringVar(&o.IngressNamespace, "ingress-namespace", convert.DefaultIngressNamespace, "namespace of the Istio resources of Ingress fleets")
	fs.StringVar(&o.GatewayController, "gateway-controller", convert.DefaultGatewayController, "controllerName of the GatewayClasses to serve")
	fs.StringVar(&o.DomainSuffix, "domain-suffix", convert.DefaultDomainSuffix, "cluster domain of Service hosts")
}

func runConvert(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gatebridge convert", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var files stringList
	var opts convert.Options
	fs.Var(&files, "f", "manifest file or folder (repeatable)")
	output := fs.String("o", "yaml", "output format: yaml or json")
	withStatus := fs.Bool("status", false, "also print the status each input object would get")
	certificates := fs.Bool("certificates", false, "print instead the cert-manager Certificates that cert-manager's ingress-shim and gateway-shim would create for the annotated objects")
	namespace := fs.String("namespace", "default", "namespace of objects that have none")
	addTranslationFlags(fs, &opts)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: gatebridge convert -f FILE|DIR [-f ...] [-o yaml|json] [--status]\n\nPrints the Istio Gateway, VirtualService and DestinationRule resources the manifests translate to;\nnotes (unsupported or approximated things) go to stderr.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if len(files) == 0 || fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	if *output != "yaml" && *output != "json" {
		return fmt.Errorf("-o %q: want yaml or json", *output)
	}
	input, err := convert.LoadPaths(*namespace, files...)
	if err != nil {
		return err
	}
	if *certificates {
		return printCertificates(input, stdout, stderr)
	}
	opts.Now = metav1.Now()
	res := convert.Translate(input, opts)
	docs, err := res.Snapshot.Documents(model.PrintOptions{})
	if err != nil {
		return err
	}
	if *withStatus {
		docs = append(docs, statusDocuments(&res)...)
	}
	var out []byte
	if *output == "json" {
		out, err = model.JSON(docs)
	} else {
		out, err = model.YAML(docs)
	}
	if err != nil {
		return err
	}
	if _, err := stdout.Write(out); err != nil {
		return err
	}
	for _, n := range res.Notes {
		fmt.Fprintln(stderr, n.String())
	}
	return nil
}

// printCertificates prints the Certificates the cert-manager annotations of the input ask for, and
// the findings about those annotations on stderr.
func printCertificates(input convert.Input, stdout, stderr io.Writer) error {
	wanted, findings := certs.Desired(input.Ingresses, input.Gateways, certs.ShimOptions{})
	out, err := certs.PrintYAML(wanted)
	if err != nil {
		return err
	}
	if _, err := stdout.Write(out); err != nil {
		return err
	}
	for _, f := range findings {
		fmt.Fprintf(stderr, "%s: %s %s: %s\n", f.Object, f.Kind, f.Key, f.Message)
	}
	return nil
}

// apiVersions of the objects that get status.
var apiVersions = map[string]string{
	"Ingress":      "networking.k8s.io/v1",
	"GatewayClass": "gateway.networking.k8s.io/v1",
	"Gateway":      "gateway.networking.k8s.io/v1",
	"HTTPRoute":    "gateway.networking.k8s.io/v1",
	"GRPCRoute":    "gateway.networking.k8s.io/v1",
	"TLSRoute":     "gateway.networking.k8s.io/v1",
}

// statusDocuments prints each status as a partial object, the shape `kubectl get -o yaml` shows.
func statusDocuments(res *convert.Result) []map[string]any {
	var docs []map[string]any
	for _, s := range res.StatusList() {
		meta := map[string]any{"name": s.Object.Name}
		if s.Object.Namespace != "" {
			meta["namespace"] = s.Object.Namespace
		}
		docs = append(docs, map[string]any{
			"apiVersion": apiVersions[s.Object.Kind], "kind": s.Object.Kind, "metadata": meta, "status": s.Status,
		})
	}
	return docs
}
