package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeAssembly writes a cloud assembly with one stack template, and a nested
// assembly (as CDK Pipelines stages make) with another.
func writeAssembly(t *testing.T, top, nested map[string]any) string {
	t.Helper()
	dir := t.TempDir()
	write := func(path string, v any) {
		raw, _ := json.Marshal(v)
		if err := os.WriteFile(path, raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(dir, "assembly-Stage"), 0o755)
	write(filepath.Join(dir, "manifest.json"), map[string]any{"artifacts": map[string]any{
		"Top":   map[string]any{"type": "aws:cloudformation:stack", "properties": map[string]any{"templateFile": "Top.template.json", "stackName": "top"}},
		"Stage": map[string]any{"type": "cdk:cloud-assembly", "properties": map[string]any{"directoryName": "assembly-Stage"}},
	}})
	write(filepath.Join(dir, "Top.template.json"), top)
	write(filepath.Join(dir, "assembly-Stage", "manifest.json"), map[string]any{"artifacts": map[string]any{
		"Stage/Inner": map[string]any{"type": "aws:cloudformation:stack", "properties": map[string]any{"templateFile": "Inner.template.json", "stackName": "inner"}},
	}})
	write(filepath.Join(dir, "assembly-Stage", "Inner.template.json"), nested)
	return dir
}

func resources(n int) map[string]any {
	rs := map[string]any{}
	for i := 0; i < n; i++ {
		rs[fmt.Sprintf("Topic%d", i)] = map[string]any{"Type": "AWS::SNS::Topic"}
	}
	return rs
}

func pipeline(stages, actionsPerStage int, actionName string) map[string]any {
	var ss []any
	for i := 0; i < stages; i++ {
		var as []any
		for j := 0; j < actionsPerStage; j++ {
			as = append(as, map[string]any{"Name": fmt.Sprintf("%s%d", actionName, j), "RunOrder": 1})
		}
		ss = append(ss, map[string]any{"Name": fmt.Sprintf("Stage%d", i), "Actions": as})
	}
	return map[string]any{"Resources": map[string]any{"Pipeline": map[string]any{"Type": "AWS::CodePipeline::Pipeline", "Properties": map[string]any{"Stages": ss}}}}
}

func TestCheckAssemblyAtTheQuotas(t *testing.T) {
	ok := writeAssembly(t, map[string]any{"Resources": resources(maxStackResources)}, pipeline(maxPipelineStages, maxStageActions, "a"))
	stacks, err := checkAssembly(ok)
	if err != nil {
		t.Errorf("rejected an assembly at the quotas: %v", err)
	}
	// The stacks of the assembly and of the nested (pipeline stage) assembly.
	if !slices.Equal(stacks, []string{"inner", "top"}) {
		t.Errorf("stacks = %q, want [inner top]", stacks)
	}
}

func TestCheckAssemblyReportsEveryQuotaPast(t *testing.T) {
	over := writeAssembly(t, map[string]any{"Resources": resources(maxStackResources + 1)},
		pipeline(maxPipelineStages+1, maxStageActions+1, strings.Repeat("x", maxPipelineName)))
	_, err := checkAssembly(over)
	if err == nil {
		t.Fatal("accepted an assembly past the quotas")
	}
	for _, want := range []string{
		"stack top has 501 resources; CloudFormation allows 500 per stack",
		"stack inner: the pipeline has 51 stages; CodePipeline allows 50 per pipeline",
		"stack inner: pipeline stage Stage0 has 51 actions; CodePipeline allows 50 per stage",
		"is longer than CodePipeline's 100 characters",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
