package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// AWS quotas that only the synthesized templates show, checked after synthesis.
const (
	// maxStackResources is CloudFormation's limit of resources per stack.
	maxStackResources = 500
	// maxTemplateBytes is CloudFormation's limit for a template uploaded to S3 (1 MB).
	maxTemplateBytes = 1_000_000
	// CodePipeline: stages per pipeline, actions per stage (at most 50 in parallel and
	// 50 in sequence), and the length of stage and action names.
	maxPipelineStages, maxStageActions, maxPipelineName = 50, 50, 100
)

// checkAssembly reads every stack template of a cloud assembly (with the nested
// assemblies of CDK Pipelines stages) and reports every quota a deploy would exceed.
// It returns the names of the stacks, sorted.
func checkAssembly(dir string) ([]string, error) {
	var problems, stacks []string
	err := walkTemplates(dir, func(stack, path string, raw []byte) {
		stacks = append(stacks, stack)
		var tm struct {
			Resources map[string]struct {
				Type       string
				Properties json.RawMessage
			}
		}
		if err := json.Unmarshal(raw, &tm); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", path, err))
			return
		}
		if n := len(tm.Resources); n > maxStackResources {
			problems = append(problems, fmt.Sprintf("stack %s has %d resources; CloudFormation allows %d per stack. "+
				"Split the transfers across several configs (apps), or into more destination buckets.", stack, n, maxStackResources))
		}
		if len(raw) > maxTemplateBytes {
			problems = append(problems, fmt.Sprintf("stack %s's template is %d bytes; CloudFormation allows %d. Split the transfers across several configs.",
				stack, len(raw), maxTemplateBytes))
		}
		for _, r := range tm.Resources {
			if r.Type == "AWS::CodePipeline::Pipeline" {
				problems = append(problems, pipelineProblems(stack, r.Properties)...)
			}
		}
		problems = append(problems, iamProblems(stack, tm.Resources)...)
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(stacks)
	if len(problems) > 0 {
		return stacks, errors.New("the synthesized app exceeds AWS quotas:\n  " + strings.Join(problems, "\n  "))
	}
	return stacks, nil
}

// pipelineProblems checks a pipeline's stages and actions against CodePipeline's quotas.
func pipelineProblems(stack string, props json.RawMessage) []string {
	var p struct {
		Stages []struct {
			Name    string
			Actions []struct {
				Name     string
				RunOrder int
			}
		}
	}
	if err := json.Unmarshal(props, &p); err != nil {
		return []string{fmt.Sprintf("stack %s: pipeline: %v", stack, err)}
	}
	var out []string
	if n := len(p.Stages); n > maxPipelineStages {
		out = append(out, fmt.Sprintf("stack %s: the pipeline has %d stages; CodePipeline allows %d per pipeline. Split the transfers across several configs (pipelines).",
			stack, n, maxPipelineStages))
	}
	for _, s := range p.Stages {
		if n := len(s.Actions); n > maxStageActions {
			out = append(out, fmt.Sprintf("stack %s: pipeline stage %s has %d actions; CodePipeline allows %d per stage", stack, s.Name, n, maxStageActions))
		}
		if len(s.Name) > maxPipelineName {
			out = append(out, fmt.Sprintf("stack %s: pipeline stage name %q is longer than CodePipeline's %d characters", stack, s.Name, maxPipelineName))
		}
		for _, a := range s.Actions {
			if len(a.Name) > maxPipelineName {
				out = append(out, fmt.Sprintf("stack %s: pipeline action name %q is longer than CodePipeline's %d characters", stack, a.Name, maxPipelineName))
			}
		}
	}
	return out
}

// walkTemplates calls fn for every stack template of the assembly in dir and of
// its nested assemblies.
func walkTemplates(dir string, fn func(stack, path string, raw []byte)) error {
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return fmt.Errorf("reading the cloud assembly: %w", err)
	}
	var m struct {
		Artifacts map[string]struct {
			Type       string
			Properties struct {
				TemplateFile  string
				StackName     string
				DirectoryName string
			}
		}
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("reading %s: %w", filepath.Join(dir, "manifest.json"), err)
	}
	for id, a := range m.Artifacts {
		switch a.Type {
		case "aws:cloudformation:stack":
			path := filepath.Join(dir, a.Properties.TemplateFile)
			tmpl, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			name := a.Properties.StackName
			if name == "" {
				name = id
			}
			fn(name, path, tmpl)
		case "cdk:cloud-assembly":
			if err := walkTemplates(filepath.Join(dir, a.Properties.DirectoryName), fn); err != nil {
				return err
			}
		}
	}
	return nil
}
