// Command plan prints the commands that bootstrap and deploy a config's stacks, one
// account's credentials at a time, in numbered steps with what must be done by hand
// between them; with -destroy, the commands that remove them (see package app/plan).
//
//	go run ./tools/plan [-destroy] [-profile-template 'acct-{account}'] [transfers.yaml]
//	make plan CONFIG=transfers.yaml [PROFILE_TEMPLATE='acct-{account}']
//	make plan-destroy CONFIG=transfers.yaml [PROFILE_TEMPLATE='acct-{account}']
//
// Without a file it plans the app's embedded example (app/example/example.yaml),
// whose commands then run without -c config=.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/s3transfer/cdk-datasync/app/config"
	"github.com/s3transfer/cdk-datasync/app/estimate"
	"github.com/s3transfer/cdk-datasync/app/example"
	"github.com/s3transfer/cdk-datasync/app/plan"
	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run prints the plan and returns the exit code: 0, 1 for a config that does not
// load, 2 for a bad command line.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	destroy := fs.Bool("destroy", false, "print the commands that destroy the stacks instead (make plan-destroy)")
	template := fs.String("profile-template", "", "AWS CLI profile names, {account} standing for the account ID, e.g. 'acct-{account}' "+
		"(make plan PROFILE_TEMPLATE=...); default: placeholders acct-<account>")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 1 {
		fmt.Fprintf(stderr, "plan: one config file, got %d arguments: %q\n", fs.NArg(), fs.Args())
		return 2
	}
	var profiles plan.Profiles
	if *template != "" {
		var err error
		if profiles, err = plan.ParseProfiles("PROFILE_TEMPLATE", *template); err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
	}
	name, configArg := example.Name, ""
	var cfg *config.Config
	var err error
	if fs.NArg() == 1 && fs.Arg(0) != "" {
		name, configArg = fs.Arg(0), fs.Arg(0)
		cfg, err = config.Load(configArg)
	} else {
		cfg, err = config.Parse(example.YAML, example.Name)
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	p := plan.Plan{Name: name, ConfigPath: configArg, Transfers: cfg.Transfers, Commands: plan.Commands(cfg.Transfers, configArg), Profiles: profiles}
	if pl := cfg.Pipeline; pl != nil {
		if *destroy {
			fmt.Fprintf(stderr, "%s has a pipeline: block: its stacks are deployed by the pipeline, and -destroy (make plan-destroy) "+
				"plans only stacks deployed from the command line\n", name)
			return 2
		}
		pipelineName := pl.Name
		if pipelineName == "" {
			pipelineName = config.DefaultPipelineName
		}
		p.Commands = plan.PipelineCommands(cfg.Transfers, configArg, pl.Account, pl.Region, pipelineName)
	}
	if *destroy {
		plan.RenderDestroy(stdout, p)
		return 0
	}
	plan.RenderDeploy(stdout, p)
	printCostTraps(stdout, cfg.Transfers)
	return 0
}

// printCostTraps prints the config's cost traps as shell comments after the plan
// (`transfers estimate` prices each transfer).
func printCostTraps(w io.Writer, ts []spec.Transfer) {
	traps := estimate.AllConfigTraps(ts)
	if len(traps) == 0 {
		return
	}
	fmt.Fprintln(w, "\n# Cost traps (go run ./app/transfers estimate prices each transfer):")
	for _, t := range traps {
		fmt.Fprintln(w, "#   "+t)
	}
}
