// Command plan prints the commands that bootstrap, deploy and destroy a config's
// stacks, one account's credentials at a time (see package app/plan).
//
//	go run ./tools/plan [transfers.yaml]     (or: make plan CONFIG=transfers.yaml)
//
// Without a file it plans the app's embedded example (app/example/example.yaml),
// whose commands then run without -c config=.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/s3transfer/cdk-datasync/app/config"
	"github.com/s3transfer/cdk-datasync/app/estimate"
	"github.com/s3transfer/cdk-datasync/app/example"
	"github.com/s3transfer/cdk-datasync/app/plan"
	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

func main() {
	name, configArg := example.Name, ""
	var cfg *config.Config
	var err error
	if len(os.Args) > 1 && os.Args[1] != "" {
		name, configArg = os.Args[1], os.Args[1]
		cfg, err = config.Load(configArg)
	} else {
		cfg, err = config.Parse(example.YAML, example.Name)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cmds := plan.Commands(cfg.Transfers, configArg)
	if p := cfg.Pipeline; p != nil {
		name := p.Name
		if name == "" {
			name = config.DefaultPipelineName
		}
		cmds = plan.PipelineCommands(cfg.Transfers, configArg, p.Account, p.Region, name)
	}
	plan.Render(os.Stdout, cmds, name)
	printCostTraps(os.Stdout, cfg.Transfers)
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
