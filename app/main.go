// Command app is the CDK app: it reads the transfers from the YAML file named by the
// CDK context key "config" (npx cdk synth -c config=transfers.yaml), or uses the
// example embedded in the binary, and synthesizes per destination bucket a
// <bucket>-destination stack (destination account and Region) and per transfer a
// <name>-source stack (source account, destination Region); with a pipeline: block,
// one CDK pipeline stack that deploys them instead.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/s3transfer/cdk-datasync/app/config"
	"github.com/s3transfer/cdk-datasync/app/estimate"
	"github.com/s3transfer/cdk-datasync/app/example"
	"github.com/s3transfer/cdk-datasync/constructs/spec"
	"github.com/s3transfer/cdk-datasync/constructs/transfer"
)

func main() {
	app := awscdk.NewApp(nil)
	path, cfg, err := loadConfig(app)
	if err == nil && cfg.Pipeline != nil && !isRepoRelative(path) {
		err = fmt.Errorf("%s: pipeline mode needs the config file inside the repository, named by a relative path "+
			"(e.g. -c config=transfers.yaml): the pipeline's synth step runs `make synth CONFIG=<that path>` on its own checkout", path)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		jsii.Close()
		os.Exit(1)
	}
	for _, w := range spec.QuotaWarnings(cfg.Transfers) {
		fmt.Fprintln(os.Stderr, "warning: "+w)
	}
	// cost traps of the config (go run ./app/transfers estimate prices them)
	for _, w := range estimate.AllConfigTraps(cfg.Transfers) {
		fmt.Fprintln(os.Stderr, "warning: cost: "+w)
	}
	build(app, cfg, path)
	if nag, _ := app.Node().TryGetContext(jsii.String("nag")).(string); nag == "true" {
		// -c nag=true: cdk-nag's AwsSolutions pack; unsuppressed errors fail the synth.
		awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	}
	dir := *app.Synth(nil).Directory()
	jsii.Close()
	// Quotas that only the synthesized templates show: the CLI deploys nothing when
	// the app fails.
	if err := checkAssembly(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// loadConfig reads the file named by the "config" context key, or the example.
func loadConfig(app awscdk.App) (string, *config.Config, error) {
	if path, ok := app.Node().TryGetContext(jsii.String("config")).(string); ok && path != "" {
		cfg, err := config.Load(path)
		return path, cfg, err
	}
	cfg, err := config.Parse(example.YAML, example.Name)
	return "", cfg, err
}

func isRepoRelative(path string) bool {
	return path != "" && !filepath.IsAbs(path) && !strings.HasPrefix(filepath.Clean(path), "..")
}

// build adds the stacks of every transfer to app, or the pipeline that deploys them.
func build(app awscdk.App, cfg *config.Config, path string) {
	if cfg.Pipeline != nil {
		newPipelineStack(app, cfg, path)
		return
	}
	transfer.NewStacks(app, cfg.Transfers)
}
