package plan

import (
	"bytes"
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/s3transfer/cdk-datasync/app/config"
	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

func load(t *testing.T, path string) *config.Config {
	t.Helper()
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestEveryStackOnceInAnOrderThatWorks: each deploy and destroy command names stacks
// of one account and Region only, with --exclusively; every stack is deployed once and
// destroyed once; destination stacks deploy before, and are destroyed after, every
// source stack.
func TestEveryStackOnceInAnOrderThatWorks(t *testing.T) {
	cfg := load(t, "../../test/testdata/shared-buckets.yaml")
	env := map[string][2]string{} // stack -> account, Region
	for _, b := range spec.GroupDestinations(cfg.Transfers) {
		env[b.StackName()] = [2]string{b.Account, b.Region}
	}
	for _, tr := range cfg.Transfers {
		env[tr.Name+"-source"] = [2]string{tr.Source.Account, tr.Destination.Region}
	}
	for _, g := range spec.MonitoringGroups(cfg.Transfers) {
		env[g.StackName()] = [2]string{g.Account, g.Region}
	}
	cmds := Commands(cfg.Transfers, "transfers.yaml")
	position := map[Phase]map[string]int{Deploy: {}, Destroy: {}}
	for i, c := range cmds {
		if c.Phase == Bootstrap {
			continue
		}
		if !slices.Contains(c.Args, "--exclusively") || !slices.Contains(c.Args, "config=transfers.yaml") ||
			c.Args[slices.Index(c.Args, "--profile")+1] != "acct-"+c.Account {
			t.Errorf("command %v", c.Args)
		}
		if hasConcurrency := slices.Contains(c.Args, "--concurrency"); hasConcurrency != (len(c.Stacks) > 1) {
			t.Errorf("%d stacks, --concurrency %t: %v", len(c.Stacks), hasConcurrency, c.Args)
		}
		for _, s := range c.Stacks {
			if env[s] != [2]string{c.Account, c.Regions[0]} {
				t.Errorf("%s (%v) in a command for %s/%s", s, env[s], c.Account, c.Regions[0])
			}
			if _, twice := position[c.Phase][s]; twice {
				t.Errorf("%s %s twice", c.Phase, s)
			}
			position[c.Phase][s] = i
		}
	}
	for _, phase := range []Phase{Deploy, Destroy} {
		if len(position[phase]) != len(env) {
			t.Errorf("%s covers %d of %d stacks", phase, len(position[phase]), len(env))
		}
	}
	for d := range env {
		for s := range env {
			if !strings.HasSuffix(d, "-destination") || !strings.HasSuffix(s, "-source") {
				continue
			}
			if position[Deploy][d] >= position[Deploy][s] || position[Destroy][d] <= position[Destroy][s] {
				t.Errorf("%s must deploy before and be destroyed after %s", d, s)
			}
		}
	}
	// One command per account and Region and phase: 999 has both buckets in eu-west-1.
	if n := len(cmds); n != 4+4+4 {
		t.Errorf("%d commands, want 4 bootstraps, 4 deploys, 4 destroys", n)
	}
}

func TestPipelinePlanDeploysThePipelineWithItsSupportStacks(t *testing.T) {
	cfg := load(t, "../../test/testdata/pipeline.yaml")
	cmds := PipelineCommands(cfg.Transfers, "test/testdata/pipeline.yaml", "999999999999", "eu-west-1", "datasync-transfers")
	last := cmds[len(cmds)-1]
	if last.Phase != Deploy || !slices.Equal(last.Stacks, []string{"datasync-transfers", "cross-region-stack-999999999999:us-west-2"}) ||
		!slices.Contains(last.Args, "--exclusively") {
		t.Errorf("pipeline deploy = %+v", last)
	}
	trusting := 0
	for _, c := range cmds {
		if c.Phase == Bootstrap && slices.Contains(c.Args, "--trust") {
			trusting++
		}
	}
	if trusting != 3 { // 111, 222 and 333 trust the pipeline account
		t.Errorf("%d target accounts bootstrapped with --trust", trusting)
	}
}

// readmeShows fails unless the README holds a shell block of command's output.
func readmeShows(t *testing.T, command string, render func(io.Writer, Plan), p Plan) {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	render(&want, p)
	if block := "```sh\n$ " + command + "\n" + want.String() + "```"; !strings.Contains(string(readme), block) {
		t.Errorf("the README does not show what %s prints; it should read:\n%s", command, block)
	}
}

func examplePlan(t *testing.T) Plan {
	ts := load(t, "../../app/example/example.yaml").Transfers
	return Plan{Name: "transfers.yaml", ConfigPath: "transfers.yaml", Transfers: ts, Commands: Commands(ts, "transfers.yaml")}
}

// TestReadmeDeploySectionIsThePlanOfTheExample keeps the README's deploy commands
// identical to what `make plan CONFIG=transfers.yaml` prints for the example.
func TestReadmeDeploySectionIsThePlanOfTheExample(t *testing.T) {
	readmeShows(t, "make plan CONFIG=transfers.yaml", RenderDeploy, examplePlan(t))
}

// TestReadmeDestroySectionIsThePlanOfTheExample: the same for the destroy commands.
func TestReadmeDestroySectionIsThePlanOfTheExample(t *testing.T) {
	readmeShows(t, "make plan-destroy CONFIG=transfers.yaml", RenderDestroy, examplePlan(t))
}

// TestReadmePipelineSectionIsThePlanOfThePipelineConfig does the same for the
// README's pipeline commands (test/testdata/pipeline.yaml as transfers.yaml).
func TestReadmePipelineSectionIsThePlanOfThePipelineConfig(t *testing.T) {
	cfg := load(t, "../../test/testdata/pipeline.yaml")
	readmeShows(t, "make plan CONFIG=transfers.yaml", RenderDeploy, Plan{Name: "transfers.yaml", ConfigPath: "transfers.yaml", Transfers: cfg.Transfers,
		Commands: PipelineCommands(cfg.Transfers, "transfers.yaml", cfg.Pipeline.Account, cfg.Pipeline.Region, config.DefaultPipelineName)})
}

// stepsOf returns the step headings of a rendered plan and, per step, its lines.
func stepsOf(out string) (headings []string, body map[string][]string) {
	body = map[string][]string{}
	cur := ""
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "# Step ") {
			cur = line
			headings = append(headings, line)
			continue
		}
		if cur != "" && line != "" {
			body[cur] = append(body[cur], line)
		}
	}
	return headings, body
}

// sourceSide says whether a command line selects source-side stacks only: transfers'
// source stacks and the shared dashboards' monitoring stacks beside them.
func sourceSide(line string) bool {
	for _, f := range strings.Fields(line) {
		if strings.HasPrefix(f, "-") || !strings.Contains(f, "-") || strings.Contains(f, "=") {
			continue
		}
		if strings.HasSuffix(f, "-destination") {
			return false
		}
	}
	return strings.HasSuffix(line, "-source") || strings.Contains(line, " datasync-monitoring-")
}

// TestDeployPlanGoesInSteps: bootstrap, destination deploys, the key-policy step a
// destination kmsKeyArn needs, source deploys, confirming the subscriptions; no
// destroy command; a pointer to the destroy plan.
func TestDeployPlanGoesInSteps(t *testing.T) {
	ts := load(t, "../../app/example/example.yaml").Transfers
	ts[0].Destination.KmsKeyArn = "arn:aws:kms:us-west-2:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	var out bytes.Buffer
	RenderDeploy(&out, Plan{Name: "t.yaml", ConfigPath: "t.yaml", Transfers: ts, Commands: Commands(ts, "t.yaml")})
	headings, body := stepsOf(out.String())
	want := []string{
		"# Step 1. Bootstrap, once per account, in every Region it deploys to:",
		"# Step 2. Deploy the destination stacks first (the bucket policies must name the source roles before the source stacks create the locations):",
		"# Step 3. By hand, before the source stacks: the key policy of each destination.kmsKeyArn lets the transfers' bucket-access roles use the key (the stacks cannot edit the policy of a key they do not own):",
		"# Step 4. Deploy the source stacks (and the shared dashboards' monitoring stacks beside them):",
		"# Step 5. Confirm the notification subscriptions, once the source stacks are deployed: each address receives a mail \"AWS Notification - Subscription Confirmation\"; failed executions are mailed only after its link is followed.",
	}
	if !slices.Equal(headings, want) {
		t.Errorf("steps:\n%s\nwant:\n%s", strings.Join(headings, "\n"), strings.Join(want, "\n"))
	}
	if strings.Contains(out.String(), "cdk destroy") {
		t.Errorf("the deploy plan has destroy commands:\n%s", out.String())
	}
	for _, line := range body[want[1]] {
		if strings.HasPrefix(line, "npx") && !strings.HasSuffix(line, "-destination") {
			t.Errorf("step 2 deploys %s", line)
		}
	}
	for _, line := range body[want[3]] {
		if strings.HasPrefix(line, "npx") && !sourceSide(line) {
			t.Errorf("step 4 deploys %s", line)
		}
	}
	key := strings.Join(body[want[2]], "\n")
	for _, w := range []string{
		"# bucket acme-media-dst, key arn:aws:kms:us-west-2:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab (account 222222222222): the statement to add is the output RequiredKeyPolicyStatement of acme-media-dst-destination:",
		"aws cloudformation describe-stacks --stack-name acme-media-dst-destination --region us-west-2 --profile acct-222222222222 --query 'Stacks[0].Outputs[?OutputKey==`RequiredKeyPolicyStatement`].OutputValue' --output text",
		"aws kms get-key-policy --key-id arn:aws:kms:us-west-2:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab --policy-name default --region us-west-2 --profile acct-222222222222 --query Policy --output text",
		"aws kms put-key-policy --key-id arn:aws:kms:us-west-2:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab --policy-name default --region us-west-2 --profile acct-222222222222 --policy file://key-policy-acme-media-dst.json",
	} {
		if !strings.Contains(key, w) {
			t.Errorf("step 3 lacks\n%s\nin:\n%s", w, key)
		}
	}
	if sub := strings.Join(body[want[4]], "\n"); !strings.Contains(sub, "# data-ops@example.com (transfer media-archive, account 111111111111, us-west-2): prints PendingConfirmation until confirmed\n"+
		"aws sns list-subscriptions --region us-west-2 --profile acct-111111111111 --query 'Subscriptions[?Endpoint==`data-ops@example.com`].SubscriptionArn' --output text") {
		t.Errorf("step 5:\n%s", sub)
	}
	if !strings.Contains(out.String(), "The commands that remove these stacks: make plan-destroy CONFIG=t.yaml") {
		t.Errorf("no pointer to the destroy plan:\n%s", out.String())
	}
}

// TestDeployPlanWithoutManualStepsSkipsThem: a config with neither a kmsKeyArn nor
// an email has three steps.
func TestDeployPlanWithoutManualStepsSkipsThem(t *testing.T) {
	ts := load(t, "../../app/example/example.yaml").Transfers
	ts[0].Notifications.Email = ""
	var out bytes.Buffer
	RenderDeploy(&out, Plan{Name: "t.yaml", ConfigPath: "t.yaml", Transfers: ts, Commands: Commands(ts, "t.yaml")})
	if headings, _ := stepsOf(out.String()); len(headings) != 3 || !strings.HasPrefix(headings[2], "# Step 3. Deploy the source stacks") {
		t.Errorf("steps: %q", headings)
	}
}

func TestDestroyPlanIsItsOwnVerb(t *testing.T) {
	ts := load(t, "../../test/testdata/shared-buckets.yaml").Transfers
	var out bytes.Buffer
	RenderDestroy(&out, Plan{Name: "t.yaml", ConfigPath: "t.yaml", Transfers: ts, Commands: Commands(ts, "t.yaml")})
	headings, body := stepsOf(out.String())
	if len(headings) != 2 || !strings.Contains(headings[0], "Destroy the source stacks first") || !strings.Contains(headings[1], "Then the destination stacks") {
		t.Fatalf("steps: %q", headings)
	}
	if strings.Contains(out.String(), "cdk deploy") || strings.Contains(out.String(), "cdk bootstrap") {
		t.Errorf("the destroy plan deploys:\n%s", out.String())
	}
	for i, suffix := range []string{"-source", "-destination"} {
		for _, line := range body[headings[i]] {
			if strings.HasPrefix(line, "npx") && (!strings.HasPrefix(line, "npx cdk destroy --exclusively") || !(strings.HasSuffix(line, suffix) || suffix == "-source" && sourceSide(line))) {
				t.Errorf("step %d: %s", i+1, line)
			}
		}
	}
	if !strings.HasPrefix(out.String(), "# Destroy plan for t.yaml: 4 source stack(s), then 2 destination stack(s), 4 account(s). Buckets and their objects are kept.\n") {
		t.Errorf("heading:\n%s", out.String())
	}
}

// TestProfileTemplateNamesTheUsersProfiles: with a template, every command (stack
// commands, bootstrap, the aws CLI commands of the manual steps) names the account's
// own profile, and no placeholder is left.
func TestProfileTemplateNamesTheUsersProfiles(t *testing.T) {
	ts := load(t, "../../app/example/example.yaml").Transfers
	ts[0].Destination.KmsKeyArn = "arn:aws:kms:us-west-2:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	profiles, err := ParseProfiles("PROFILE_TEMPLATE", "corp-{account}-admin")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	RenderDeploy(&out, Plan{Name: "t.yaml", ConfigPath: "t.yaml", Transfers: ts, Commands: Commands(ts, "t.yaml"), Profiles: profiles})
	text := out.String()
	if strings.Contains(text, "acct-") {
		t.Errorf("placeholders left:\n%s", text)
	}
	for _, w := range []string{
		"# Each command runs with the profile of its account (PROFILE_TEMPLATE corp-{account}-admin).",
		"npx cdk bootstrap aws://111111111111/us-west-2 --profile corp-111111111111-admin",
		"npx cdk deploy --exclusively -c config=t.yaml --profile corp-222222222222-admin acme-media-dst-destination",
		"npx cdk deploy --exclusively -c config=t.yaml --profile corp-333333333333-admin --concurrency 2 logs-consolidation-source datasync-monitoring-333333333333-eu-west-1",
		"--profile corp-222222222222-admin --policy file://key-policy-acme-media-dst.json",
		"aws sns list-subscriptions --region us-west-2 --profile corp-111111111111-admin",
	} {
		if !strings.Contains(text, w) {
			t.Errorf("lacks %q:\n%s", w, text)
		}
	}
	// Pipeline plans too.
	cfg := load(t, "../../test/testdata/pipeline.yaml")
	cmds := UseProfiles(PipelineCommands(cfg.Transfers, "p.yaml", cfg.Pipeline.Account, cfg.Pipeline.Region, "x"), profiles)
	for _, c := range cmds {
		if c.Args[slices.Index(c.Args, "--profile")+1] != "corp-"+c.Account+"-admin" {
			t.Errorf("pipeline command %v", c.Args)
		}
	}
}

func TestParseProfilesRejectsWhatCannotNameEachAccount(t *testing.T) {
	for template, want := range map[string]string{
		"prod":                 `PROFILE_TEMPLATE "prod": it must contain {account}, which stands for each account's 12-digit ID (e.g. PROFILE_TEMPLATE='acct-{account}', for profiles named acct-111111111111 and so on)`,
		"{account}-{region}":   `PROFILE_TEMPLATE "{account}-{region}": the only placeholder is {account}`,
		"my profile-{account}": `PROFILE_TEMPLATE "my profile-{account}": " " cannot be part of a profile name`,
		"{Account}":            `it must contain {account}, which stands for each account's 12-digit ID; the only placeholder is {account}`,
	} {
		_, err := ParseProfiles("PROFILE_TEMPLATE", template)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseProfiles(%q) = %v, want %q", template, err, want)
		}
	}
	for _, ok := range []string{"acct-{account}", "{account}", "org/{account}.admin"} {
		if _, err := ParseProfiles("PROFILE_TEMPLATE", ok); err != nil {
			t.Errorf("ParseProfiles(%q): %v", ok, err)
		}
	}
}
