// Package plan turns a config's transfers into the CDK CLI commands that deploy and
// destroy them with one account's credentials at a time: one command per account
// and Region, each naming its stacks with --exclusively (without it the CLI also
// selects a stack's dependencies or dependents, which live in other accounts), in an
// order that works: destination stacks before source stacks, and the reverse to
// destroy. `make plan CONFIG=...` prints it.
package plan

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

// Phase is what a command does.
type Phase string

// The phases, in the order a plan runs them.
const (
	Bootstrap Phase = "bootstrap"
	Deploy    Phase = "deploy"
	Destroy   Phase = "destroy"
)

// MaxConcurrency caps --concurrency: stacks of one command are independent, but
// CloudFormation and the account's API rate limits are shared.
const MaxConcurrency = 10

// Command is one CDK CLI command, run with one account's credentials.
type Command struct {
	Phase   Phase
	Account string
	// Regions are the Regions the command deploys to (one, except for bootstrap).
	Regions []string
	// Role says which stacks these are ("destination", "source"); "" for bootstrap.
	Role string
	// Stacks are the stack names the command selects, in config order.
	Stacks []string
	// Monitoring is how many of Stacks (the last ones) are monitoring stacks: a source
	// command also deploys the shared dashboard of its account and Region.
	Monitoring int
	// Args are the arguments after `npx`, ready to run.
	Args []string
}

// Profile is the placeholder profile of an account in the printed commands.
func Profile(account string) string { return "acct-" + account }

type group struct {
	account, region, role string
	stacks                []string
	monitoring            int
}

// Commands returns the plan for the transfers: bootstrap each account in each Region
// it deploys to, deploy every destination stack (per account and Region), then every
// source stack, and to destroy, the source stacks first, then the destination stacks.
// configPath is given to the app with -c config=...; "" means the app's embedded
// example.
func Commands(ts []spec.Transfer, configPath string) []Command {
	var dst, src []*group
	add := func(groups *[]*group, account, region, role, stack string) {
		for _, g := range *groups {
			if g.account == account && g.region == region {
				g.stacks = append(g.stacks, stack)
				return
			}
		}
		*groups = append(*groups, &group{account: account, region: region, role: role, stacks: []string{stack}})
	}
	for _, b := range spec.GroupDestinations(ts) {
		add(&dst, b.Account, b.Region, "destination", b.StackName())
	}
	for _, t := range ts {
		add(&src, t.Source.Account, t.Destination.Region, "source", t.Name+"-source")
	}

	// The shared dashboard of a source account and Region (spec.MonitoringGroups) is in
	// the same account and Region as its source stacks, so the same command deploys it;
	// it references no other stack (it reads the tasks at every view).
	for _, m := range spec.MonitoringGroups(ts) {
		for _, g := range src {
			if g.account == m.Account && g.region == m.Region {
				g.stacks = append(g.stacks, m.StackName())
				g.monitoring++
			}
		}
	}

	var out []Command
	deployOrder := append(slices.Clone(dst), src...)
	// Bootstrap: one command per account, every Region it deploys to.
	var accounts []string
	regions := map[string][]string{}
	for _, g := range deployOrder {
		if _, seen := regions[g.account]; !seen {
			accounts = append(accounts, g.account)
		}
		if !slices.Contains(regions[g.account], g.region) {
			regions[g.account] = append(regions[g.account], g.region)
		}
	}
	for _, a := range accounts {
		args := []string{"cdk", "bootstrap"}
		for _, r := range regions[a] {
			args = append(args, fmt.Sprintf("aws://%s/%s", a, r))
		}
		out = append(out, Command{Phase: Bootstrap, Account: a, Regions: regions[a], Args: append(args, "--profile", Profile(a))})
	}
	stackCommand := func(phase Phase, g *group) Command {
		return Command{Phase: phase, Account: g.account, Regions: []string{g.region}, Role: g.role, Stacks: g.stacks, Monitoring: g.monitoring,
			Args: stackCommandArgs(phase, configPath, g.account, g.stacks)}
	}
	for _, g := range deployOrder {
		out = append(out, stackCommand(Deploy, g))
	}
	for _, g := range append(slices.Clone(src), dst...) {
		out = append(out, stackCommand(Destroy, g))
	}
	return out
}

// stackCommandArgs are the arguments of a deploy or destroy of exactly the stacks
// (--exclusively), with the account's profile, in parallel when there are several.
func stackCommandArgs(phase Phase, configPath, account string, stacks []string) []string {
	args := []string{"cdk", string(phase), "--exclusively"}
	if configPath != "" {
		args = append(args, "-c", "config="+configPath)
	}
	args = append(args, "--profile", Profile(account))
	if n := len(stacks); n > 1 {
		args = append(args, "--concurrency", fmt.Sprint(min(n, MaxConcurrency)))
	}
	return append(args, stacks...)
}

// Render prints the plan as shell commands, grouped by phase, each with a comment
// naming its account, Region and stacks. name is how the config is called in the
// heading.
func Render(w io.Writer, cmds []Command, name string) {
	var destinations, sources int
	accounts := map[string]bool{}
	pipeline := false
	for _, c := range cmds {
		accounts[c.Account] = true
		pipeline = pipeline || c.Role == "pipeline"
		if c.Phase == Deploy {
			switch c.Role {
			case "destination":
				destinations += len(c.Stacks)
			case "source":
				sources += len(c.Stacks) - c.Monitoring
			}
		}
	}
	heading := map[Phase]string{
		Bootstrap: "Once per account, in every Region it deploys to:",
		Deploy:    "Deploy: destination stacks first (the bucket policies must name the source roles), then source stacks.",
		Destroy:   "Destroy: source stacks first, then destination stacks (buckets and their objects are kept).",
	}
	if pipeline {
		fmt.Fprintf(w, "# Pipeline plan for %s: %d account(s).\n", name, len(accounts))
		heading[Bootstrap] = "Once per account: the pipeline account in every Region, the target accounts trusting it:"
		heading[Deploy] = "Deploy the pipeline once; it then deploys the destination stacks, then the source stacks, and updates itself."
	} else {
		fmt.Fprintf(w, "# Deploy plan for %s: %d destination stack(s), %d source stack(s), %d account(s).\n", name, destinations, sources, len(accounts))
	}
	fmt.Fprintf(w, "# Run each command with that account's credentials: replace acct-<account> with your AWS CLI profile for it.\n")
	fmt.Fprintf(w, "# --exclusively keeps the CLI from also selecting stacks of other accounts (dependencies and dependents).\n")
	var last Phase
	for _, c := range cmds {
		if c.Phase != last {
			fmt.Fprintf(w, "\n# %s\n", heading[c.Phase])
			last = c.Phase
		}
		switch {
		case c.Role == "pipeline":
			fmt.Fprintf(w, "# account %s, %s: the pipeline and its support stacks\n", c.Account, strings.Join(c.Regions, ", "))
		case c.Phase != Bootstrap && c.Monitoring > 0:
			fmt.Fprintf(w, "# account %s, %s: %d %s stack(s) and the dashboard's monitoring stack\n", c.Account, c.Regions[0], len(c.Stacks)-c.Monitoring, c.Role)
		case c.Phase != Bootstrap:
			fmt.Fprintf(w, "# account %s, %s: %d %s stack(s)\n", c.Account, c.Regions[0], len(c.Stacks), c.Role)
		}
		fmt.Fprintf(w, "npx %s\n", strings.Join(quoteAll(c.Args), " "))
	}
}

// quoteAll quotes the arguments a shell would split or expand.
func quoteAll(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " \t\n'\"$`\\*?[]{}()<>|&;#~!") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return out
}

// PipelineCommands returns the plan for pipeline mode: bootstrap the pipeline account
// (in its Region and in every other Region a stack deploys to, where CDK Pipelines adds
// a support stack with a replication bucket), bootstrap every target account trusting
// the pipeline account, and deploy the pipeline stack with its support stacks once;
// after that the pipeline deploys the transfers' stacks and updates itself.
// pipelineAccount, pipelineRegion and name are the config's pipeline block (name with
// its default applied).
func PipelineCommands(ts []spec.Transfer, configPath, pipelineAccount, pipelineRegion, name string) []Command {
	targets := Commands(ts, configPath)
	partition, _, _ := spec.RegionFacts(pipelineRegion)
	pipelineRegions := []string{pipelineRegion}
	stacks := []string{name}
	var out []Command
	for _, c := range targets {
		if c.Phase != Bootstrap {
			continue
		}
		for _, r := range c.Regions {
			if !slices.Contains(pipelineRegions, r) {
				pipelineRegions = append(pipelineRegions, r)
				stacks = append(stacks, fmt.Sprintf("cross-region-stack-%s:%s", pipelineAccount, r))
			}
		}
		args := append(slices.Clone(c.Args[:len(c.Args)-2]), "--trust", pipelineAccount,
			"--cloudformation-execution-policies", fmt.Sprintf("arn:%s:iam::aws:policy/AdministratorAccess", partition), "--profile", Profile(c.Account))
		c.Args = args
		out = append(out, c)
	}
	boot := []string{"cdk", "bootstrap"}
	for _, r := range pipelineRegions {
		boot = append(boot, fmt.Sprintf("aws://%s/%s", pipelineAccount, r))
	}
	out = append([]Command{{Phase: Bootstrap, Account: pipelineAccount, Regions: pipelineRegions, Args: append(boot, "--profile", Profile(pipelineAccount))}}, out...)
	deploy := stackCommandArgs(Deploy, configPath, pipelineAccount, stacks)
	return append(out, Command{Phase: Deploy, Account: pipelineAccount, Regions: pipelineRegions, Role: "pipeline", Stacks: stacks, Args: deploy})
}
