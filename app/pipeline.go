package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/pipelines"
	"github.com/aws/jsii-runtime-go"

	"github.com/s3transfer/cdk-datasync/app/config"
	"github.com/s3transfer/cdk-datasync/constructs/transfer"
)

// GoVersion is the Go toolchain the pipeline's synth step installs (go.mod's).
const GoVersion = "1.26.8"

// CliVersion is the aws-cdk CLI the pipeline uses (package.json's).
const CliVersion = "2.1148.1"

// newPipelineStack adds one self-mutating CDK pipeline in the pipeline account. It
// deploys every destination stack in one wave, then every source stack in a later
// wave (transfer.AddToPipeline; waves of at most 25 stacks stay inside CodePipeline's
// 50 actions per stage), each into its own account with the account's bootstrap roles.
func newPipelineStack(app awscdk.App, cfg *config.Config, configPath string) pipelines.CodePipeline {
	p := cfg.Pipeline
	name := p.Name
	if name == "" {
		name = config.DefaultPipelineName
	}
	stack := awscdk.NewStack(app, jsii.String(name), &awscdk.StackProps{
		Env:         &awscdk.Environment{Account: jsii.String(p.Account), Region: jsii.String(p.Region)},
		Description: jsii.String(fmt.Sprintf("CDK pipeline deploying %d DataSync transfer(s) from %s@%s", len(cfg.Transfers), p.Repository, p.Branch)),
	})
	pipeline := pipelines.NewCodePipeline(stack, jsii.String("Pipeline"), &pipelines.CodePipelineProps{
		PipelineName: jsii.String(name),
		// Artifacts are encrypted with a KMS key whose policy lets the target accounts'
		// bootstrap roles (trusting this account) read them.
		CrossAccountKeys:  jsii.Bool(true),
		EnableKeyRotation: jsii.Bool(true),
		CliVersion:        jsii.String(CliVersion),
		Synth: pipelines.NewShellStep(jsii.String("Synth"), &pipelines.ShellStepProps{
			Input: pipelines.CodePipelineSource_Connection(jsii.String(p.Repository), jsii.String(p.Branch), &pipelines.ConnectionSourceOptions{
				ConnectionArn: jsii.String(p.ConnectionArn),
			}),
			InstallCommands: jsii.Strings(
				fmt.Sprintf("mkdir -p \"$HOME/go-sdk\" && curl -fsSL https://go.dev/dl/go%s.linux-amd64.tar.gz | tar -C \"$HOME/go-sdk\" -xz", GoVersion),
			),
			// The same synth as `make synth`: npm ci (pinned Node.js and CLI), Go
			// modules, then cdk synth of this config file.
			Commands: jsii.Strings(
				fmt.Sprintf("export PATH=\"$HOME/go-sdk/go/bin:$PATH\" && make synth CONFIG=%s", configPath),
			),
			PrimaryOutputDirectory: jsii.String("cdk.out"),
		}),
	})
	transfer.AddToPipeline(pipeline, app, cfg.Transfers)
	return pipeline
}
