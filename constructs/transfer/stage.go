package transfer

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"

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
