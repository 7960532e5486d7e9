package plan

import (
	"bytes"
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

// TestReadmeDeploySectionIsThePlanOfTheExample keeps the README's deploy commands
// identical to what `make plan CONFIG=transfers.yaml` prints for the example.
func TestReadmeDeploySectionIsThePlanOfTheExample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	Render(&want, Commands(load(t, "../../app/example/example.yaml").Transfers, "transfers.yaml"), "transfers.yaml")
	if !strings.Contains(string(readme), "```sh\n$ make plan CONFIG=transfers.yaml\n"+want.String()+"```") {
		t.Errorf("the README's deploy section is not the plan of the example; it should read:\n$ make plan CONFIG=transfers.yaml\n%s", want.String())
	}
}

// TestReadmePipelineSectionIsThePlanOfThePipelineConfig does the same for the
// README's pipeline commands (test/testdata/pipeline.yaml as transfers.yaml).
func TestReadmePipelineSectionIsThePlanOfThePipelineConfig(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	cfg := load(t, "../../test/testdata/pipeline.yaml")
	var want bytes.Buffer
	Render(&want, PipelineCommands(cfg.Transfers, "transfers.yaml", cfg.Pipeline.Account, cfg.Pipeline.Region, config.DefaultPipelineName), "transfers.yaml")
	if !strings.Contains(string(readme), "```sh\n$ make plan CONFIG=transfers.yaml\n"+want.String()+"```") {
		t.Errorf("the README's pipeline section is not the plan of test/testdata/pipeline.yaml; it should read:\n%s", want.String())
	}
}
