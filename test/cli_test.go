package test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/s3transfer/cdk-datasync/app/config"
	"github.com/s3transfer/cdk-datasync/app/plan"
)

// cdkCLI runs the repository's pinned aws-cdk CLI against a synthesized assembly
// with dummy credentials and no reachable AWS endpoint: the CLI selects the stacks,
// prints what it includes beyond those named, and stops at the first AWS call,
// naming the account it needs.
func cdkCLI(t *testing.T, args ...string) string {
	t.Helper()
	cli, err := filepath.Abs("../node_modules/.bin/cdk")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(cli); err != nil {
		t.Fatalf("the aws-cdk CLI is not installed (run make test, which runs npm ci): %v", err)
	}
	cmd := exec.Command(cli, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(),
		"AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true", "AWS_ENDPOINT_URL=http://127.0.0.1:9",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PROFILE=", "CDK_DISABLE_VERSION_CHECK=1")
	out, _ := cmd.CombinedOutput() // it fails at the first AWS call, by design
	return string(out)
}

var (
	includedRe = regexp.MustCompile(`Including (dependency|depending) stacks: (.*)`)
	accountRe  = regexp.MustCompile(`Need to perform AWS calls for account ([0-9]{12})`)
	destroyRe  = regexp.MustCompile(`destroying\.\.\. \[1/([0-9]+)\]`)
)

// TestEveryPlannedCommandSelectsOnlyItsStacksInOneAccount runs every deploy and destroy
// command that `make plan` prints (the README's deploy section is that output) through
// the real CDK CLI, against the synthesized app, and checks what the CLI selects.
func TestEveryPlannedCommandSelectsOnlyItsStacksInOneAccount(t *testing.T) {
	for _, configPath := range []string{"app/example/example.yaml", "test/testdata/shared-buckets.yaml"} {
		t.Run(configPath, func(t *testing.T) {
			outdir, cfg := synthesized(t, configPath)
			for _, c := range plan.Commands(cfg.Transfers, configPath) {
				if c.Phase == plan.Bootstrap {
					continue
				}
				args := cliArgs(c.Args, outdir)
				if c.Phase == plan.Destroy {
					args = append(args, "--force") // no terminal to confirm on
				}
				out := cdkCLI(t, args...)
				if m := includedRe.FindStringSubmatch(out); m != nil {
					t.Errorf("%v also selects %s", c.Args, m[2])
				}
				if m := accountRe.FindStringSubmatch(out); m == nil || m[1] != c.Account {
					t.Errorf("%v: want it to need account %s only:\n%s", c.Args, c.Account, out)
				}
				if c.Phase == plan.Destroy {
					if m := destroyRe.FindStringSubmatch(out); m == nil || m[1] != fmt.Sprint(len(c.Stacks)) {
						t.Errorf("%v: want %d stacks destroyed:\n%s", c.Args, len(c.Stacks), out)
					}
				}
			}
		})
	}
}

// TestPlannedPipelineDeploySelectsThePipelineAndItsSupportStacks: the pipeline mode's
// one manual deploy selects the pipeline stack and its cross-Region support stacks,
// all in the pipeline account.
func TestPlannedPipelineDeploySelectsThePipelineAndItsSupportStacks(t *testing.T) {
	const configPath = "test/testdata/pipeline.yaml"
	outdir, cfg := synthesized(t, configPath)
	cmds := plan.PipelineCommands(cfg.Transfers, configPath, cfg.Pipeline.Account, cfg.Pipeline.Region, config.DefaultPipelineName)
	deploy := cmds[len(cmds)-1]
	out := cdkCLI(t, cliArgs(deploy.Args, outdir)...)
	if m := includedRe.FindStringSubmatch(out); m != nil {
		t.Errorf("%v also selects %s", deploy.Args, m[2])
	}
	if m := accountRe.FindStringSubmatch(out); m == nil || m[1] != cfg.Pipeline.Account {
		t.Errorf("%v: want it to need the pipeline account only:\n%s", deploy.Args, out)
	}
	// Without its support stacks named, --exclusively would skip them: check they are
	// what the CLI would otherwise add.
	out = cdkCLI(t, "deploy", "--app", outdir, config.DefaultPipelineName)
	if m := includedRe.FindStringSubmatch(out); m == nil || m[2] != strings.Join(deploy.Stacks[1:], ", ") {
		t.Errorf("the pipeline's dependencies are not the planned support stacks %v:\n%s", deploy.Stacks[1:], out)
	}
}

// TestWithoutExclusivelyTheCLIReachesIntoTheOtherAccount is the control: the same
// source-stack deploy and destination-stack destroy without --exclusively select the
// stacks of the other account, which is why every planned command carries it.
func TestWithoutExclusivelyTheCLIReachesIntoTheOtherAccount(t *testing.T) {
	outdir, stderr, err := runApp(t, map[string]any{"config": "app/example/example.yaml"})
	if err != nil {
		t.Fatalf("app failed: %v\n%s", err, stderr)
	}
	out := cdkCLI(t, "deploy", "--app", outdir, "media-archive-source")
	if m := includedRe.FindStringSubmatch(out); m == nil || m[2] != "acme-media-dst-destination" {
		t.Errorf("deploy without --exclusively:\n%s", out)
	}
	out = cdkCLI(t, "destroy", "--app", outdir, "--force", "acme-media-dst-destination")
	if m := includedRe.FindStringSubmatch(out); m == nil || m[2] != "media-archive-source" {
		t.Errorf("destroy without --exclusively:\n%s", out)
	}
}

// synthesized runs the app on a config (a path relative to the repository) and
// returns its output directory and the config as the plan reads it.
func synthesized(t *testing.T, configPath string) (string, *config.Config) {
	t.Helper()
	outdir, stderr, err := runApp(t, map[string]any{"config": configPath})
	if err != nil {
		t.Fatalf("app failed: %v\n%s", err, stderr)
	}
	cfg, err := config.Load(filepath.Join("..", configPath))
	if err != nil {
		t.Fatal(err)
	}
	return outdir, cfg
}

// cliArgs turns a planned command into one against the synthesized assembly: the
// assembly instead of -c config=..., no profile (the dummy credentials stand in).
func cliArgs(planned []string, outdir string) []string {
	var args []string
	for i := 1; i < len(planned); i++ { // planned[0] is "cdk"
		switch planned[i] {
		case "-c", "--profile":
			i++
		default:
			args = append(args, planned[i])
		}
	}
	return slices.Insert(args, 1, "--app", outdir)
}
