package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/gatebridge/gatebridge/bridge"
	"github.com/gatebridge/gatebridge/convert"
	"github.com/gatebridge/gatebridge/migrate"
	"github.com/gatebridge/gatebridge/model"
)

// Exit codes of gatebridge migrate besides 0 (everything carried over exactly), 1 (error) and 2 (usage).
const (
	exitApproximated = 3
	exitLost         = 4
)

type migrateFlags struct {
	files, namespaces, classes stringList
	kubeconfig, output, outDir string
	format, defaultNamespace   string
	opts                       migrate.Options
}

func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gatebridge migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f migrateFlags
	fs.Var(&f.files, "f", "manifest file or folder to read Ingresses and Services from (repeatable)")
	fs.StringVar(&f.kubeconfig, "kubeconfig", "", "read the Ingresses of a cluster with this kubeconfig (\"-\": the default loading rules) instead of files")
	fs.Var(&f.namespaces, "namespace", "namespace to read from a cluster (repeatable; default: all)")
	fs.Var(&f.classes, "ingress-class", "migrate only the Ingresses of this class (repeatable; default: every class of ingress-nginx)")
	fs.StringVar(&f.output, "o", migrate.FormatGatewayAPI, "output: gateway-api or istio")
	fs.StringVar(&f.outDir, "output-dir", "", "write one file per resource (and the report) into this folder instead of stdout")
	fs.StringVar(&f.format, "format", "text", "report format: text or json")
	fs.StringVar(&f.opts.GatewayClassName, "gateway-class", migrate.DefaultGatewayClassName, "gatewayClassName of the Gateways")
	fs.StringVar(&f.opts.GatewayNamespace, "gateway-namespace", migrate.DefaultGatewayNamespace, "namespace of the Gateways (and of the Istio resources)")
	fs.StringVar(&f.defaultNamespace, "default-namespace", "default", "namespace of manifests that name none")
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: gatebridge migrate (-f FILE|DIR ... | --kubeconfig FILE) [-o gateway-api|istio] [--format text|json]

Converts ingress-nginx Ingresses into Gateway API (or Istio) resources, printed as YAML on stdout, and
reports on stderr what was carried over exactly, approximated or lost, per Ingress and annotation.
Exit status: 0 everything exact, 3 something approximated, 4 something lost, 1 error, 2 usage.

flags:`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || (len(f.files) == 0) == (f.kubeconfig == "") {
		fs.Usage()
		return errUsage
	}
	if f.output != migrate.FormatGatewayAPI && f.output != migrate.FormatIstio {
		return fmt.Errorf("-o %q: want gateway-api or istio", f.output)
	}
	if f.format != "text" && f.format != "json" {
		return fmt.Errorf("--format %q: want text or json", f.format)
	}
	f.opts.Format, f.opts.IngressClasses = f.output, f.classes
	in, err := f.input(ctx)
	if err != nil {
		return err
	}
	res, err := migrate.Migrate(in, f.opts)
	if err != nil {
		return err
	}
	if err := f.write(&res, stdout, stderr); err != nil {
		return err
	}
	switch res.Report.Outcome {
	case migrate.Lost:
		return exitCode(exitLost)
	case migrate.Approximated:
		return exitCode(exitApproximated)
	}
	return nil
}

// input reads the manifests or the cluster.
func (f *migrateFlags) input(ctx context.Context) (convert.Input, error) {
	if len(f.files) > 0 {
		return convert.LoadPaths(f.defaultNamespace, f.files...)
	}
	loading := clientcmd.NewDefaultClientConfigLoadingRules()
	if f.kubeconfig != "-" {
		loading.ExplicitPath = f.kubeconfig
	}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(loading, nil).ClientConfig()
	if err != nil {
		return convert.Input{}, fmt.Errorf("kubernetes configuration: %w", err)
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return convert.Input{}, fmt.Errorf("kubernetes client: %w", err)
	}
	namespaces := slices.DeleteFunc(slices.Clone(f.namespaces), func(ns string) bool { return ns == "all" })
	if len(namespaces) < len(f.namespaces) {
		namespaces = nil
	}
	return bridge.ReadIngresses(ctx, kube, namespaces)
}

// write prints the resources and the report.
func (f *migrateFlags) write(res *migrate.Result, stdout, stderr io.Writer) error {
	report := []byte(res.Report.Text())
	if f.format == "json" {
		var err error
		if report, err = res.Report.JSON(); err != nil {
			return err
		}
	}
	if f.outDir == "" {
		out, err := model.YAML(res.Objects)
		if err != nil {
			return err
		}
		if _, err := stdout.Write(out); err != nil {
			return err
		}
		_, err = stderr.Write(report)
		return err
	}
	if err := writeObjects(f.outDir, res.Objects); err != nil {
		return err
	}
	name := filepath.Join(f.outDir, "report."+strings.Replace(f.format, "text", "txt", 1))
	if err := os.WriteFile(name, report, 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	_, err := stderr.Write(report)
	return err
}

// writeObjects writes each resource to DIR/<namespace>/<kind>-<name>.yaml.
func writeObjects(dir string, objects []map[string]any) error {
	var errs []error
	for _, o := range objects {
		meta, _ := o["metadata"].(map[string]any)
		ns, _ := meta["namespace"].(string)
		name, _ := meta["name"].(string)
		path := filepath.Join(dir, ns, strings.ToLower(fmt.Sprint(o["kind"]))+"-"+name+".yaml")
		b, err := model.YAML([]map[string]any{o})
		if err == nil {
			err = os.MkdirAll(filepath.Dir(path), 0o755)
		}
		if err == nil {
			err = os.WriteFile(path, b, 0o644)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("write %s: %w", path, err))
		}
	}
	return errors.Join(errs...)
}
