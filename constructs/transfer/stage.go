package transfer

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/pipelines"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

// TransferStageProps configure a TransferStage.
type TransferStageProps struct {
	awscdk.StageProps
	// Transfer describes the transfer. Required.
	Transfer *spec.Transfer
}

// TransferStage holds both stacks of one transfer, for CDK Pipelines: add it with
// pipeline.AddStage and the pipeline deploys the destination stack, then the source
// stack, each into its own account.
type TransferStage interface {
	awscdk.Stage
	// Stacks are the transfer's two stacks.
	Stacks() TransferStacks
}

type transferStage struct {
	awscdk.Stage
	stacks TransferStacks
}

func (s *transferStage) Stacks() TransferStacks { return s.stacks }

// NewTransferStage creates a stage holding the transfer's destination and source
// stacks (see NewTransferStacks).
func NewTransferStage(scope constructs.Construct, id string, props *TransferStageProps) TransferStage {
	if props == nil {
		props = &TransferStageProps{}
	}
	validated(props.Transfer)
	s := &transferStage{}
	awscdk.NewStage_Override(s, scope, &id, &props.StageProps)
	s.stacks = NewTransferStacks(s, props.Transfer)
	return s
}

// StacksPerWave is how many stacks AddToPipeline deploys in one wave. CDK Pipelines
// deploys a stack with two actions (create the change set, execute it) and
// CodePipeline allows at most 50 actions in a stage.
const StacksPerWave = 25

// PipelineWaves are the waves AddToPipeline added.
type PipelineWaves struct {
	// Destinations deploy every destination stack, StacksPerWave at a time.
	Destinations []pipelines.Wave
	// Sources deploy every source stack after all destination stacks.
	Sources []pipelines.Wave
	// Monitoring deploy the shared dashboards' stacks, after the source stacks.
	Monitoring []pipelines.Wave
}

// AddToPipeline adds the stacks of the transfers (as NewStacks makes them) to a CDK
// pipeline: first every destination stack, then every source stack, each stack in
// its own Stage under scope (an App), named like the stack. Stacks in a wave deploy in
// parallel; a wave holds at most StacksPerWave stacks, so more stacks make
// consecutive waves (Destinations, Destinations-2, ..., Sources, Sources-2, ...,
// Monitoring, ...: the shared dashboards' stacks, one per source account and Region).
// Every source stack deploys after every destination stack, so the bucket policies
// name the source roles before the locations are created. The transfers are
// validated each and as a set; every problem is reported in one panic.
func AddToPipeline(pipeline pipelines.PipelineBase, scope constructs.Construct, transfers []spec.Transfer) PipelineWaves {
	validatedSet(transfers)
	var dst, src []awscdk.Stage
	for _, b := range spec.GroupDestinations(transfers) {
		stage := awscdk.NewStage(scope, jsii.String(b.StackName()), nil)
		NewDestinationStack(stage, b.StackName(), &DestinationStackProps{Transfers: b.Transfers})
		dst = append(dst, stage)
	}
	for i := range transfers {
		t := &transfers[i]
		stage := awscdk.NewStage(scope, jsii.String(SourceStackName(*t)), nil)
		NewSourceStack(stage, SourceStackName(*t), &SourceStackProps{Transfer: t})
		src = append(src, stage)
	}
	var mon []awscdk.Stage
	for _, g := range spec.MonitoringGroups(transfers) {
		stage := awscdk.NewStage(scope, jsii.String(g.StackName()), nil)
		NewMonitoringStack(stage, g.StackName(), &MonitoringStackProps{Transfers: g.Transfers})
		mon = append(mon, stage)
	}
	return PipelineWaves{Destinations: addWaves(pipeline, "Destinations", dst), Sources: addWaves(pipeline, "Sources", src),
		Monitoring: addWaves(pipeline, "Monitoring", mon)}
}

// addWaves adds the stages in waves of at most StacksPerWave, named name, name-2, ...
func addWaves(pipeline pipelines.PipelineBase, name string, stages []awscdk.Stage) []pipelines.Wave {
	var waves []pipelines.Wave
	for start := 0; start < len(stages); start += StacksPerWave {
		id := name
		if start > 0 {
			id = fmt.Sprintf("%s-%d", name, start/StacksPerWave+1)
		}
		wave := pipeline.AddWave(jsii.String(id), nil)
		for _, s := range stages[start:min(start+StacksPerWave, len(stages))] {
			wave.AddStage(s, nil)
		}
		waves = append(waves, wave)
	}
	return waves
}
