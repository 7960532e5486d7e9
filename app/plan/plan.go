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
	// Args are the arguments after `npx`, ready to run.
	Args []string
}

// Profile is the placeholder profile of an account in the printed commands.
func Profile(account string) string { return DefaultProfiles.For(account) }

// AccountPlaceholder is the placeholder of a profile template.
const AccountPlaceholder = "{account}"

// Profiles is a template of AWS CLI profile names: AccountPlaceholder stands for
// the 12-digit account ID (`make plan PROFILE_TEMPLATE='acct-{account}'`).
type Profiles string

// DefaultProfiles is the template of the placeholders printed without one.
const DefaultProfiles Profiles = "acct-" + AccountPlaceholder

// ParseProfiles checks a profile template: it must name the account, and hold no
// other placeholder or character that AWS CLI profile names cannot have.
func ParseProfiles(flag, template string) (Profiles, error) {
	var problems []string
	if !strings.Contains(template, AccountPlaceholder) {
		problems = append(problems, "it must contain "+AccountPlaceholder+", which stands for each account's 12-digit ID")
	}
	rest := strings.ReplaceAll(template, AccountPlaceholder, "")
	if i := strings.IndexAny(rest, "{}"); i >= 0 {
		problems = append(problems, "the only placeholder is "+AccountPlaceholder)
	}
	if i := strings.IndexFunc(rest, func(r rune) bool { return r <= ' ' || r == '[' || r == ']' || r > '~' }); i >= 0 {
		problems = append(problems, fmt.Sprintf("%q cannot be part of a profile name", rest[i:i+1]))
	}
	if len(problems) > 0 {
		return "", fmt.Errorf("%s %q: %s (e.g. %s='acct-%s', for profiles named acct-111111111111 and so on)",
			flag, template, strings.Join(problems, "; "), flag, AccountPlaceholder)
	}
	return Profiles(template), nil
}

// For is the profile of an account.
func (p Profiles) For(account string) string {
	if p == "" {
		p = DefaultProfiles
	}
	return strings.ReplaceAll(string(p), AccountPlaceholder, account)
}

// UseProfiles returns the commands with the profiles of p in place of the
// placeholders.
func UseProfiles(cmds []Command, p Profiles) []Command {
	out := make([]Command, len(cmds))
	for i, c := range cmds {
		c.Args = slices.Clone(c.Args)
		if k := slices.Index(c.Args, "--profile"); k >= 0 && k+1 < len(c.Args) {
			c.Args[k+1] = p.For(c.Account)
		}
		out[i] = c
	}
	return out
}

type group struct {
	account, region, role string
	stacks                []string
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
		*groups = append(*groups, &group{account, region, role, []string{stack}})
	}
	for _, b := range spec.GroupDestinations(ts) {
		add(&dst, b.Account, b.Region, "destination", b.StackName())
	}
	for _, t := range ts {
		add(&src, t.Source.Account, t.Destination.Region, "source", t.Name+"-source")
	}
	// The shared dashboards' stacks live beside the source stacks (same account and
	// Region) and reference none of them: deployed and destroyed with them.
	for _, g := range spec.MonitoringGroups(ts) {
		add(&src, g.Account, g.Region, "source", g.StackName())
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
		return Command{Phase: phase, Account: g.account, Regions: []string{g.region}, Role: g.role, Stacks: g.stacks,
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

// Plan is what `make plan` prints for a config.
type Plan struct {
	// Name is how the config is called in the heading.
	Name string
	// ConfigPath is the config file given to the app ("" for the embedded example).
	ConfigPath string
	// Transfers are the config's transfers.
	Transfers []spec.Transfer
	// Commands are the commands of Commands or PipelineCommands.
	Commands []Command
	// Profiles is the user's profile template; "" prints placeholders.
	Profiles Profiles
}

// step prints numbered steps, each with its heading.
type step struct {
	w io.Writer
	n int
}

func (s *step) next(heading string) {
	s.n++
	fmt.Fprintf(s.w, "\n# Step %d. %s\n", s.n, heading)
}

// RenderDeploy prints the plan's deploy steps as shell commands: bootstrap; deploy
// the destination stacks; what the config needs done by hand between the two
// deploys; deploy the source stacks; confirm the notification subscriptions. Every
// stack command has a comment naming its account, Region and stacks.
func RenderDeploy(w io.Writer, p Plan) {
	var destinations, sources int
	accounts := map[string]bool{}
	pipeline := false
	for _, c := range p.Commands {
		accounts[c.Account] = true
		pipeline = pipeline || c.Role == "pipeline"
		if c.Phase == Deploy {
			switch c.Role {
			case "destination":
				destinations += len(c.Stacks)
			case "source":
				sources += len(c.Stacks) - monitoringStacks(c)
			}
		}
	}
	if pipeline {
		fmt.Fprintf(w, "# Pipeline plan for %s: %d account(s).\n", p.Name, len(accounts))
	} else {
		fmt.Fprintf(w, "# Deploy plan for %s: %d destination stack(s), %d source stack(s), %d account(s).\n", p.Name, destinations, sources, len(accounts))
	}
	header(w, p, "plan")
	cmds := UseProfiles(p.Commands, p.Profiles)
	s := &step{w: w}
	if pipeline {
		s.next("Bootstrap, once per account: the pipeline account in every Region, the target accounts trusting it:")
		printCommands(w, cmds, Bootstrap, "")
		s.next("Deploy the pipeline once; it then deploys the destination stacks, then the source stacks, and updates itself:")
		printCommands(w, cmds, Deploy, "pipeline")
		keyPolicySteps(s, p, "By hand, before the first execution starts")
		subscriptionSteps(s, p, "once the pipeline has deployed the source stacks")
	} else {
		s.next("Bootstrap, once per account, in every Region it deploys to:")
		printCommands(w, cmds, Bootstrap, "")
		s.next("Deploy the destination stacks first (the bucket policies must name the source roles before the source stacks create the locations):")
		printCommands(w, cmds, Deploy, "destination")
		keyPolicySteps(s, p, "By hand, before the source stacks")
		s.next("Deploy the source stacks (and the shared dashboards' monitoring stacks beside them):")
		printCommands(w, cmds, Deploy, "source")
		subscriptionSteps(s, p, "once the source stacks are deployed")
	}
	if pipeline {
		fmt.Fprintf(w, "\n# Then start and watch the transfers (go run ./app/transfers --help).\n")
		return
	}
	fmt.Fprintf(w, "\n# Then start and watch the transfers (go run ./app/transfers --help). The commands that remove these stacks: make plan-destroy%s\n", configArg(p))
}

// RenderDestroy prints the plan's destroy steps: the source stacks, then the
// destination stacks.
func RenderDestroy(w io.Writer, p Plan) {
	var destinations, sources int
	accounts := map[string]bool{}
	for _, c := range p.Commands {
		if c.Phase == Destroy {
			accounts[c.Account] = true
			switch c.Role {
			case "destination":
				destinations += len(c.Stacks)
			case "source":
				sources += len(c.Stacks) - monitoringStacks(c)
			}
		}
	}
	fmt.Fprintf(w, "# Destroy plan for %s: %d source stack(s), then %d destination stack(s), %d account(s). Buckets and their objects are kept.\n",
		p.Name, sources, destinations, len(accounts))
	header(w, p, "plan-destroy")
	cmds := UseProfiles(p.Commands, p.Profiles)
	s := &step{w: w}
	s.next("Destroy the source stacks first (tasks, locations, roles, logs, notifications, dashboards):")
	printCommands(w, cmds, Destroy, "source")
	s.next("Then the destination stacks (they remove this project's bucket-policy statements; buckets and keys they created are retained):")
	printCommands(w, cmds, Destroy, "destination")
}

// header says whose credentials run the commands; target is the make target that
// prints the plan.
func header(w io.Writer, p Plan, target string) {
	if p.Profiles == "" {
		fmt.Fprintf(w, "# Run each command with that account's credentials: replace acct-<account> with your AWS CLI profile for it\n"+
			"# (or name your profiles once: make %s%s PROFILE_TEMPLATE='<profile name with %s>').\n", target, configArg(p), AccountPlaceholder)
	} else {
		fmt.Fprintf(w, "# Each command runs with the profile of its account (PROFILE_TEMPLATE %s).\n", p.Profiles)
	}
	fmt.Fprintf(w, "# --exclusively keeps the CLI from also selecting stacks of other accounts (dependencies and dependents).\n")
}

func configArg(p Plan) string {
	if p.ConfigPath == "" {
		return ""
	}
	return " CONFIG=" + strings.Join(quoteAll([]string{p.ConfigPath}), "")
}

// monitoringStacks counts the shared dashboards' stacks among a source command's.
func monitoringStacks(c Command) int {
	n := 0
	for _, st := range c.Stacks {
		if c.Role == "source" && !strings.HasSuffix(st, "-source") {
			n++
		}
	}
	return n
}

// printCommands prints the commands of one phase and role, each after a comment
// naming its account, Region and stacks.
func printCommands(w io.Writer, cmds []Command, phase Phase, role string) {
	for _, c := range cmds {
		if c.Phase != phase || c.Role != role {
			continue
		}
		switch {
		case c.Role == "pipeline":
			fmt.Fprintf(w, "# account %s, %s: the pipeline and its support stacks\n", c.Account, strings.Join(c.Regions, ", "))
		case c.Phase != Bootstrap:
			monitoring := monitoringStacks(c)
			fmt.Fprintf(w, "# account %s, %s: %d %s stack(s)", c.Account, c.Regions[0], len(c.Stacks)-monitoring, c.Role)
			if monitoring > 0 {
				fmt.Fprintf(w, ", %d monitoring stack (the shared dashboard)", monitoring)
			}
			fmt.Fprintln(w)
		}
		printArgs(w, "npx", c.Args)
	}
}

func printArgs(w io.Writer, program string, args []string) {
	fmt.Fprintf(w, "%s %s\n", program, strings.Join(quoteAll(args), " "))
}

// keyPolicySteps prints, per destination bucket encrypted with a KMS key the
// stacks do not own (destination.kmsKeyArn), how to add the statement of its
// destination stack's output RequiredKeyPolicyStatement to the key's policy.
func keyPolicySteps(s *step, p Plan, when string) {
	var keys []spec.DestinationBucket
	for _, b := range spec.GroupDestinations(p.Transfers) {
		if b.KmsKeyArn != "" {
			keys = append(keys, b)
		}
	}
	if len(keys) == 0 {
		return
	}
	s.next(when + ": the key policy of each destination.kmsKeyArn lets the transfers' bucket-access roles use the key " +
		"(the stacks cannot edit the policy of a key they do not own):")
	for _, b := range keys {
		// arn:<partition>:kms:<region>:<account>:key/<id>
		f := strings.SplitN(b.KmsKeyArn, ":", 6)
		region, account := f[3], f[4]
		file := "key-policy-" + b.Name + ".json"
		fmt.Fprintf(s.w, "# bucket %s, key %s (account %s): the statement to add is the output RequiredKeyPolicyStatement of %s:\n",
			b.Name, b.KmsKeyArn, account, b.StackName())
		printArgs(s.w, "aws", []string{"cloudformation", "describe-stacks", "--stack-name", b.StackName(), "--region", b.Region,
			"--profile", p.Profiles.For(b.Account), "--query", "Stacks[0].Outputs[?OutputKey==`RequiredKeyPolicyStatement`].OutputValue", "--output", "text"})
		printArgs(s.w, "aws", []string{"kms", "get-key-policy", "--key-id", b.KmsKeyArn, "--policy-name", "default", "--region", region,
			"--profile", p.Profiles.For(account), "--query", "Policy", "--output", "text"})
		fmt.Fprintf(s.w, "# save that policy as %s, add the statement to its \"Statement\" list (in place of one with the same Sid), then:\n", file)
		printArgs(s.w, "aws", []string{"kms", "put-key-policy", "--key-id", b.KmsKeyArn, "--policy-name", "default", "--region", region,
			"--profile", p.Profiles.For(account), "--policy", "file://" + file})
	}
}

// subscriptionSteps prints, per notifications.email, how to see that its
// subscription is confirmed.
func subscriptionSteps(s *step, p Plan, when string) {
	var with []spec.Transfer
	for _, t := range p.Transfers {
		if t.Notifications.Email != "" {
			with = append(with, t)
		}
	}
	if len(with) == 0 {
		return
	}
	s.next("Confirm the notification subscriptions, " + when + ": each address receives a mail " +
		"\"AWS Notification - Subscription Confirmation\"; failed executions are mailed only after its link is followed.")
	for _, t := range with {
		fmt.Fprintf(s.w, "# %s (transfer %s, account %s, %s): prints PendingConfirmation until confirmed\n",
			t.Notifications.Email, t.Name, t.Source.Account, t.Destination.Region)
		printArgs(s.w, "aws", []string{"sns", "list-subscriptions", "--region", t.Destination.Region, "--profile", p.Profiles.For(t.Source.Account),
			"--query", "Subscriptions[?Endpoint==`" + t.Notifications.Email + "`].SubscriptionArn", "--output", "text"})
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
