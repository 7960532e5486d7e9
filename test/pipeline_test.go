package test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

type pipelineAction struct {
	Name          string
	RunOrder      int
	Region        string
	RoleArn       any
	Configuration map[string]any
}

type pipelineStage struct {
	Name    string
	Actions []pipelineAction
}

// pipelineOf synthesizes a pipeline-mode config (a path relative to the repository)
// through the app and returns the pipeline stack's template and the pipeline's stages.
func pipelineOf(t *testing.T, config string) (tmpl, []pipelineStage) {
	t.Helper()
	outdir, stderr, err := runApp(t, map[string]any{"config": config})
	if err != nil {
		t.Fatalf("app failed: %v\n%s", err, stderr)
	}
	raw, err := os.ReadFile(filepath.Join(outdir, "datasync-transfers.template.json"))
	if err != nil {
		t.Fatalf("no pipeline stack: %v", err)
	}
	var tm tmpl
	_ = json.Unmarshal(raw, &tm)
	var stages []pipelineStage
	b, _ := json.Marshal(tm.one(t, "AWS::CodePipeline::Pipeline")["Stages"])
	_ = json.Unmarshal(b, &stages)
	return tm, stages
}

// deployedStacks maps each stack the pipeline deploys to the index of its stage,
// checking that each deploy action runs in the stack's account and Region.
func deployedStacks(t *testing.T, stages []pipelineStage, envs map[string][2]string) map[string]int {
	t.Helper()
	at := map[string]int{}
	for i, st := range stages {
		for _, a := range st.Actions {
			stack, _ := a.Configuration["StackName"].(string)
			if stack == "" {
				continue
			}
			at[stack] = i
			env, ok := envs[stack]
			if !ok {
				t.Errorf("stage %s deploys %s, which the config does not make", st.Name, stack)
				continue
			}
			if role := toString(a.RoleArn); !strings.Contains(role, ":iam::"+env[0]+":role/cdk-hnb659fds-deploy-role-"+env[0]+"-"+env[1]) {
				t.Errorf("%s/%s (%s) deploys with %s, want account %s, Region %s", st.Name, a.Name, stack, role, env[0], env[1])
			}
			if a.Region != "" && a.Region != env[1] {
				t.Errorf("%s/%s runs in %s, want %s", st.Name, a.Name, a.Region, env[1])
			}
		}
	}
	return at
}

func TestPipelineDeploysDestinationsThenSourcesIntoTheRightAccounts(t *testing.T) {
	tm, stages := pipelineOf(t, "test/testdata/pipeline.yaml")
	at := deployedStacks(t, stages, map[string][2]string{
		"acme-media-dst-destination": {"222222222222", "us-west-2"},
		"acme-logs-dst-destination":  {"222222222222", "eu-west-1"},
		"media-archive-source":       {"111111111111", "us-west-2"},
		"logs-source":                {"333333333333", "eu-west-1"},
		// the dashboards, one per source account and Region
		"datasync-monitoring-111111111111-us-west-2": {"111111111111", "us-west-2"},
		"datasync-monitoring-333333333333-eu-west-1": {"333333333333", "eu-west-1"},
	})
	if len(at) != 6 {
		t.Fatalf("the pipeline deploys %v", at)
	}
	for _, dst := range []string{"acme-media-dst-destination", "acme-logs-dst-destination"} {
		for _, src := range []string{"media-archive-source", "logs-source"} {
			if at[dst] >= at[src] {
				t.Errorf("%s (stage %d) must deploy in an earlier wave than %s (stage %d)", dst, at[dst], src, at[src])
			}
		}
	}
	if stores := toString(tm.one(t, "AWS::CodePipeline::Pipeline")["ArtifactStores"]); !strings.Contains(stores, `"Type":"KMS"`) || strings.Count(stores, `"EncryptionKey"`) != 2 {
		t.Errorf("artifact stores are not all KMS-encrypted (needed across accounts): %s", stores)
	}
}

// TestPipelineOf120TransfersStaysInsideCodePipelineQuotas synthesizes 120 transfers
// into 60 buckets (from 40 accounts, 3 Regions) and checks the pipeline against the
// quotas of CodePipeline (https://docs.aws.amazon.com/codepipeline/latest/userguide/limits.html:
// 50 stages per pipeline, 50 actions per stage of which at most 50 in parallel and 50
// in sequence, names of at most 100 characters, unique stage names and action names
// within a stage) and of CloudFormation (500 resources per stack).
func TestPipelineOf120TransfersStaysInsideCodePipelineQuotas(t *testing.T) {
	dir, err := os.MkdirTemp("testdata", "generated-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	regions := []string{"us-east-1", "us-west-2", "eu-west-1"}
	envs := map[string][2]string{}
	var b strings.Builder
	b.WriteString(`pipeline:
  account: "999999999999"
  region: eu-west-1
  connectionArn: arn:aws:codeconnections:eu-west-1:999999999999:connection/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee
  repository: acme/datasync-transfers
  branch: main
transfers:
`)
	for i := 0; i < 120; i++ {
		account, region, bucket := fmt.Sprintf("%012d", 100000000000+i%40), regions[i%3], fmt.Sprintf("lake-%03d", i%60)
		fmt.Fprintf(&b, "  - name: transfer-%03d\n    source: {account: %q, region: %s, bucket: src-%03d}\n"+
			"    destination: {account: \"222222222222\", region: %s, bucket: %s, prefix: from-%03d}\n",
			i, account, regions[(i+1)%3], i, region, bucket, i)
		envs[fmt.Sprintf("transfer-%03d-source", i)] = [2]string{account, region}
		envs[bucket+"-destination"] = [2]string{"222222222222", region}
		envs[spec.MonitoringStackName(account, region)] = [2]string{account, region}
	}
	config := filepath.Join(dir, "transfers.yaml")
	if err := os.WriteFile(config, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	tm, stages := pipelineOf(t, filepath.Join("test", config))

	at := deployedStacks(t, stages, envs)
	if len(at) != len(envs) {
		t.Errorf("the pipeline deploys %d stacks, the config makes %d", len(at), len(envs))
	}
	lastDestination, firstSource := 0, len(stages)
	for stack, i := range at {
		if strings.HasSuffix(stack, "-destination") {
			lastDestination = max(lastDestination, i)
		} else {
			firstSource = min(firstSource, i)
		}
	}
	if lastDestination >= firstSource {
		t.Errorf("a destination stack deploys in stage %d, a source stack already in stage %d", lastDestination, firstSource)
	}

	if len(stages) > 50 {
		t.Errorf("%d stages; CodePipeline allows 50 per pipeline", len(stages))
	}
	stageNames := map[string]bool{}
	for _, st := range stages {
		if stageNames[st.Name] || len(st.Name) > 100 {
			t.Errorf("stage name %q is repeated or longer than 100 characters", st.Name)
		}
		stageNames[st.Name] = true
		parallel, actionNames := map[int]int{}, map[string]bool{}
		for _, a := range st.Actions {
			parallel[max(a.RunOrder, 1)]++
			if actionNames[a.Name] || len(a.Name) > 100 {
				t.Errorf("stage %s: action name %q is repeated or longer than 100 characters", st.Name, a.Name)
			}
			actionNames[a.Name] = true
		}
		if len(st.Actions) > 50 || len(parallel) > 50 {
			t.Errorf("stage %s: %d actions in %d sequential steps; CodePipeline allows 50 of each", st.Name, len(st.Actions), len(parallel))
		}
		for order, n := range parallel {
			if n > 50 {
				t.Errorf("stage %s: %d parallel actions at run order %d; CodePipeline allows 50", st.Name, n, order)
			}
		}
	}
	if n := len(tm["Resources"].(map[string]any)); n > 500 {
		t.Errorf("the pipeline stack has %d resources; CloudFormation allows 500", n)
	}
	t.Logf("120 transfers, %d stacks: %d stages, %d pipeline-stack resources", len(envs), len(stages), len(tm["Resources"].(map[string]any)))
}

func TestPipelineSynthRunsMakeSynthWithTheConfig(t *testing.T) {
	outdir, stderr, err := runApp(t, map[string]any{"config": "test/testdata/pipeline.yaml"})
	if err != nil {
		t.Fatalf("app failed: %v\n%s", err, stderr)
	}
	raw, _ := os.ReadFile(filepath.Join(outdir, "datasync-transfers.template.json"))
	var tm tmpl
	_ = json.Unmarshal(raw, &tm)
	var buildspec string
	for _, r := range tm.resources("AWS::CodeBuild::Project") {
		spec := toString(r["Properties"].(map[string]any)["Source"])
		if strings.Contains(spec, "make synth") {
			buildspec = spec
		}
	}
	for _, want := range []string{"make synth CONFIG=test/testdata/pipeline.yaml", "go.dev/dl/go1.26.8.linux-amd64.tar.gz", "cdk.out"} {
		if !strings.Contains(buildspec, want) {
			t.Errorf("synth buildspec lacks %q: %s", want, buildspec)
		}
	}
}

func TestPipelineModeNeedsARepoRelativeConfigPath(t *testing.T) {
	abs, _ := filepath.Abs("testdata/pipeline.yaml")
	_, stderr, err := runApp(t, map[string]any{"config": abs})
	if err == nil || !strings.Contains(stderr, "relative path") {
		t.Errorf("absolute config path accepted in pipeline mode: %v\n%s", err, stderr)
	}
}
