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
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/s3transfer/cdk-datasync/app/config"
	"github.com/s3transfer/cdk-datasync/app/estimate"
	"github.com/s3transfer/cdk-datasync/app/example"
	"github.com/s3transfer/cdk-datasync/constructs/spec"
	"github.com/s3transfer/cdk-datasync/constructs/transfer"
	"github.com/s3transfer/cdk-datasync/internal/jsiichild"
)

func main() {
	// Before the first CDK call, which starts the jsii Node.js child.
	cleanup, err := jsiichild.Prepare()
	if err != nil {
		fmt.Fprintln(os.Stderr, "warning: "+err.Error())
	}
	os.Exit(run(cleanup))
}

// exitGrace is how long the app waits for the jsii child to exit after synthesis
// before it ends the child (it exits within a second when nothing is wrong).
const exitGrace = 3 * time.Second

// run synthesizes the app and returns the exit code.
func run(cleanupLauncher func()) int {
	defer cleanupLauncher()
	app := awscdk.NewApp(nil)
	configPath, _ := app.Node().TryGetContext(jsii.String("config")).(string)
	path, cfg, note, err := loadConfig(configPath)
	if note != "" {
		fmt.Fprintln(os.Stderr, note)
	}
	if err == nil && cfg.Pipeline != nil && !isRepoRelative(path) {
		err = fmt.Errorf("%s: pipeline mode needs the config file inside the repository, named by a relative path "+
			"(e.g. -c config=transfers.yaml): the pipeline's synth step runs `make synth CONFIG=<that path>` on its own checkout", path)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		closeJSII()
		return 1
	}
	for _, w := range spec.QuotaWarnings(cfg.Transfers) {
		fmt.Fprintln(os.Stderr, "warning: "+w)
	}
	// cost traps of the config (go run ./app/transfers estimate prices them)
	for _, w := range estimate.AllConfigTraps(cfg.Transfers) {
		fmt.Fprintln(os.Stderr, "warning: cost: "+w)
	}
	build(app, cfg, path)
	nag, _ := app.Node().TryGetContext(jsii.String("nag")).(string)
	if nag == "true" {
		// -c nag=true: cdk-nag's AwsSolutions pack; unsuppressed errors fail the synth.
		awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	}
	started := time.Now()
	dir := *app.Synth(nil).Directory()
	closeJSII()
	// Quotas that only the synthesized templates show: the CLI deploys nothing when
	// the app fails.
	stacks, err := checkAssembly(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Fprintln(os.Stderr, synthSummary(dir, stacks))
	if nag == "true" {
		summary, err := nagSummary(dir, started)
		if err != nil {
			fmt.Fprintln(os.Stderr, "cdk-nag: "+err.Error())
			return 1
		}
		fmt.Fprintln(os.Stderr, summary)
	}
	return 0
}

// closeJSII ends the jsii Node.js child, within exitGrace even when Node.js hangs
// at exit, and says so when it had to end it.
func closeJSII() {
	out, err := jsiichild.Close(jsii.Close, exitGrace)
	if note := out.Describe(); note != "" {
		fmt.Fprintln(os.Stderr, note)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "warning: "+err.Error())
	}
}

// exampleNote is printed when no config file is named.
const exampleNote = "note: no -c config=FILE given: synthesizing the " + example.Name + ", whose accounts are placeholders. " +
	"For your transfers: npx cdk synth -c config=transfers.yaml (or make synth CONFIG=transfers.yaml); " +
	"`cdk deploy` needs the same -c config=FILE."

// loadConfig reads the file named by the "config" context key, or the example (and
// then returns a note saying so).
func loadConfig(path string) (string, *config.Config, string, error) {
	if path != "" {
		cfg, err := config.Load(path)
		return path, cfg, "", err
	}
	cfg, err := config.Parse(example.YAML, example.Name)
	return "", cfg, exampleNote, err
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
