package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type pipelineAction struct {
	Name          string
	RunOrder      int
	Region        string
	RoleArn       any
	Configuration map[string]any
}

// pipelineStages synthesizes test/testdata/pipeline.yaml through the app and returns
// the pipeline's stages (name -> actions) and its artifact stores.
func pipelineStages(t *testing.T) (map[string][]pipelineAction, string) {
	t.Helper()
	outdir, stderr, err := runApp(t, map[string]any{"config": "test/testdata/pipeline.yaml"})
	if err != nil {
		t.Fatalf("app failed: %v\n%s", err, stderr)
	}
	raw, err := os.ReadFile(filepath.Join(outdir, "datasync-transfers.template.json"))
	if err != nil {
		t.Fatalf("no pipeline stack: %v", err)
	}
	var tm tmpl
	_ = json.Unmarshal(raw, &tm)
	props := tm.one(t, "AWS::CodePipeline::Pipeline")
	stages := map[string][]pipelineAction{}
	for _, s := range props["Stages"].([]any) {
		st := s.(map[string]any)
		var actions []pipelineAction
		b, _ := json.Marshal(st["Actions"])
		_ = json.Unmarshal(b, &actions)
		stages[st["Name"].(string)] = actions
	}
	return stages, toString(props["ArtifactStores"])
}

func TestPipelineDeploysDestinationBeforeSourceIntoTheRightAccounts(t *testing.T) {
	stages, stores := pipelineStages(t)
	want := map[string]struct{ dstAccount, srcAccount, region string }{
		"media-archive": {"222222222222", "111111111111", "us-west-2"},
		"logs":          {"222222222222", "333333333333", "eu-west-1"},
	}
	for stage, w := range want {
		actions, ok := stages[stage]
		if !ok {
			t.Fatalf("no stage %q in %v", stage, stages)
		}
		order := map[string]int{}
		for _, a := range actions {
			order[a.Name] = a.RunOrder
			stack, _ := a.Configuration["StackName"].(string)
			account := w.srcAccount
			if strings.HasSuffix(stack, "-destination") {
				account = w.dstAccount
			}
			role := toString(a.RoleArn)
			if !strings.Contains(role, ":iam::"+account+":role/cdk-hnb659fds-deploy-role-"+account+"-"+w.region) {
				t.Errorf("%s/%s (%s) deploys with %s, want account %s, Region %s", stage, a.Name, stack, role, account, w.region)
			}
			if a.Region != "" && a.Region != w.region {
				t.Errorf("%s/%s runs in %s, want %s", stage, a.Name, a.Region, w.region)
			}
		}
		if !(order["destination.Deploy"] > 0 && order["destination.Deploy"] < order["source.Prepare"]) {
			t.Errorf("stage %s run orders %v: the destination stack must deploy before the source stack", stage, order)
		}
	}
	if !strings.Contains(stores, `"Type":"KMS"`) || strings.Count(stores, `"EncryptionKey"`) != 2 {
		t.Errorf("artifact stores are not all KMS-encrypted (needed across accounts): %s", stores)
	}
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
