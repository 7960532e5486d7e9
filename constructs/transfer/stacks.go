package transfer

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

// DestinationStackName is the stack of a transfer's destination bucket:
// <bucket>-destination (see spec.DestinationStackName). Every transfer into the bucket
// shares it.
func DestinationStackName(t spec.Transfer) string {
	return spec.DestinationStackName(t.Destination.Bucket)
}

// SourceStackName is the source account's stack of a transfer: <name>-source.
func SourceStackName(t spec.Transfer) string { return t.Name + "-source" }

// DestinationStackProps configure a DestinationStack.
type DestinationStackProps struct {
	awscdk.StackProps
	// Transfer is the one transfer into the bucket. Give either Transfer or Transfers.
	Transfer *spec.Transfer
	// Transfers are every transfer into one destination bucket (see
	// DestinationAccessProps.Transfers). Give either Transfer or Transfers.
	Transfers []spec.Transfer
}

// DestinationStack is the destination account's stack of one destination bucket, in
// the bucket's Region: the bucket's ACLs disabled and this project's statements in its
// policy for every transfer into it (or the bucket itself).
type DestinationStack interface {
	awscdk.Stack
	// Access is the destination side of the bucket's transfers.
	Access() DestinationAccess
}

type destinationStack struct {
	awscdk.Stack
	access DestinationAccess
}

func (s *destinationStack) Access() DestinationAccess { return s.access }

// NewDestinationStack creates the destination account's stack of one bucket. Its
// environment is the bucket's account and Region unless props.Env says otherwise; its
// name is <bucket>-destination unless props.StackName says otherwise.
func NewDestinationStack(scope constructs.Construct, id string, props *DestinationStackProps) DestinationStack {
	if props == nil {
		props = &DestinationStackProps{}
	}
	b := destinationBucket(props.Transfer, props.Transfers)
	sp := withDefaults(props.StackProps, b.Account, b.Region, b.StackName(),
		fmt.Sprintf("DataSync: access to s3://%s for %d transfer(s) from %s", b.Name, len(b.Transfers), sourceAccounts(b)))
	s := &destinationStack{}
	awscdk.NewStack_Override(s, scope, &id, &sp)
	stack := s.Stack
	s.access = newDestinationAccess(stack, "Access", b, &DestinationAccessProps{})

	awscdk.NewCfnOutput(stack, jsii.String("DestinationBucketName"), &awscdk.CfnOutputProps{
		Description: jsii.String("The bucket DataSync writes to"),
		Value:       s.access.Bucket().BucketName(),
	})
	if stmt := s.access.RequiredKeyPolicyStatement(); stmt != "" {
		awscdk.NewCfnOutput(stack, jsii.String("RequiredKeyPolicyStatement"), &awscdk.CfnOutputProps{
			Description: jsii.String("Add this statement to the key policy of " + b.KmsKeyArn + " (the stack does not own the key)"),
			Value:       jsii.String(stmt),
		})
	}
	return s
}

// sourceAccounts lists the source accounts of a bucket's transfers, for a description.
func sourceAccounts(b spec.DestinationBucket) string {
	var accounts []string
	for _, t := range b.Transfers {
		if !slices.Contains(accounts, t.Source.Account) {
			accounts = append(accounts, t.Source.Account)
		}
	}
	if len(accounts) > 5 {
		return fmt.Sprintf("%d accounts", len(accounts))
	}
	return "account(s) " + strings.Join(accounts, ", ")
}

// SourceStackProps configure a SourceStack.
type SourceStackProps struct {
	awscdk.StackProps
	// Transfer describes the transfer. Required.
	Transfer *spec.Transfer
	// NotificationTopics also receive the transfer's notifications (see
	// SourceTransferProps.NotificationTopics). Default: none.
	NotificationTopics []awssns.ITopic
}

// SourceStack is the source account's stack of one transfer. It lives in the
// destination Region: the task must be created where the destination location is,
// or its executions fail with a network connection error (the tutorial's second
// troubleshooting entry).
type SourceStack interface {
	awscdk.Stack
	// Transfer is the source side of the transfer.
	Transfer() SourceTransfer
}

type sourceStack struct {
	awscdk.Stack
	transfer SourceTransfer
}

func (s *sourceStack) Transfer() SourceTransfer { return s.transfer }

// NewSourceStack creates the source account's stack. Its environment is the source
// account and the destination Region unless props.Env says otherwise; its name is
// <name>-source unless props.StackName says otherwise. Outputs: the task ARN, the
// command that starts an execution, and the console link to the task.
func NewSourceStack(scope constructs.Construct, id string, props *SourceStackProps) SourceStack {
	if props == nil {
		props = &SourceStackProps{}
	}
	t := validated(props.Transfer)
	sp := withDefaults(props.StackProps, t.Source.Account, t.Destination.Region, SourceStackName(t),
		fmt.Sprintf("DataSync transfer %s: s3://%s (%s) to s3://%s (account %s, %s)",
			t.Name, t.Source.Bucket, t.Source.Region, t.Destination.Bucket, t.Destination.Account, t.Destination.Region))
	s := &sourceStack{}
	awscdk.NewStack_Override(s, scope, &id, &sp)
	stack := s.Stack
	s.transfer = NewSourceTransfer(stack, "Transfer", &SourceTransferProps{Transfer: props.Transfer, NotificationTopics: props.NotificationTopics})

	taskArn := s.transfer.TaskArn()
	output := func(id, description string, value *string) {
		awscdk.NewCfnOutput(stack, jsii.String(id), &awscdk.CfnOutputProps{Description: jsii.String(description), Value: value})
	}
	output("TaskArn", "The DataSync task", taskArn)
	output("SourceLocationArn", "The DataSync location of the source bucket", s.transfer.SourceLocationArn())
	output("DestinationLocationArn", "The DataSync location of the destination bucket", s.transfer.DestinationLocationArn())
	output("StartTaskExecutionCommand", "Starts one transfer run (in the source account)",
		awscdk.Fn_Join(jsii.String(""), jsii.Strings("aws datasync start-task-execution --task-arn ", *taskArn, " --region "+t.Destination.Region)))
	taskID := awscdk.Fn_Select(jsii.Number(1), awscdk.Fn_Split(jsii.String("/"), taskArn, nil))
	output("TaskConsoleUrl", "The task in the DataSync console",
		awscdk.Fn_Join(jsii.String(""), jsii.Strings(consoleURL(t)+"#/tasks/", *taskID)))
	return s
}

// withDefaults returns a copy of sp with the environment, stack name and description
// filled in where the caller left them out.
func withDefaults(sp awscdk.StackProps, account, region, name, description string) awscdk.StackProps {
	if sp.Env == nil {
		sp.Env = &awscdk.Environment{Account: jsii.String(account), Region: jsii.String(region)}
	}
	if sp.StackName == nil {
		sp.StackName = jsii.String(name)
	}
	if sp.Description == nil {
		sp.Description = jsii.String(description)
	}
	return sp
}

// consoleURL is the DataSync console of the destination Region.
func consoleURL(t spec.Transfer) string {
	return fmt.Sprintf("https://%s/datasync/home?region=%s", spec.ConsoleHost(t.Partition(), t.Destination.Region), t.Destination.Region)
}

// TransferStacks are the two stacks of one transfer.
type TransferStacks struct {
	Destination DestinationStack
	Source      SourceStack
}

// NewTransferStacks adds both stacks of one transfer to scope (an App or a Stage),
// with construct IDs and stack names <bucket>-destination and <name>-source, and makes
// the source stack depend on the destination stack: the destination location's access
// test needs the bucket policy in place. For several transfers use NewStacks: a
// bucket that several transfers write to must have one destination stack.
func NewTransferStacks(scope constructs.Construct, t *spec.Transfer) TransferStacks {
	v := validated(t)
	dst := NewDestinationStack(scope, DestinationStackName(v), &DestinationStackProps{Transfer: t})
	src := NewSourceStack(scope, SourceStackName(v), &SourceStackProps{Transfer: t})
	src.AddStackDependency(dst, jsii.String(dependencyReason))
	return TransferStacks{Destination: dst, Source: src}
}

const dependencyReason = "the destination bucket policy must name the source roles before the destination location is created"

// Stacks are the stacks of a set of transfers: one destination stack per
// destination bucket, one source stack per transfer.
type Stacks struct {
	// Destinations are the destination stacks, in the order their buckets first
	// appear in the transfers.
	Destinations []DestinationStack
	// Sources are the source stacks, in the order of the transfers.
	Sources []SourceStack
	// Monitoring are the stacks of the shared dashboards, one per source account and
	// Region with a transfer on it (spec.MonitoringGroups).
	Monitoring []awscdk.Stack
}

// NewStacks adds the stacks of every transfer to scope (an App or a Stage): per
// destination bucket one stack <bucket>-destination in the bucket's account and
// Region that owns this project's statements in its policy for every transfer into
// it, and per transfer one stack <name>-source in the source account and the
// destination Region, which depends on its bucket's stack, and per source account
// and Region one stack datasync-monitoring-<account>-<region> with the dashboard of
// its transfers (unless their monitoring is off or has no shared dashboard). The transfers are
// validated, each and as a set (spec.ValidateSet), and every problem is reported
// in one panic.
func NewStacks(scope constructs.Construct, transfers []spec.Transfer) Stacks {
	validatedSet(transfers)
	var out Stacks
	byBucket := map[string]DestinationStack{}
	for _, b := range spec.GroupDestinations(transfers) {
		dst := NewDestinationStack(scope, b.StackName(), &DestinationStackProps{Transfers: b.Transfers})
		byBucket[b.Name] = dst
		out.Destinations = append(out.Destinations, dst)
	}
	for i := range transfers {
		t := &transfers[i]
		src := NewSourceStack(scope, SourceStackName(*t), &SourceStackProps{Transfer: t})
		src.AddStackDependency(byBucket[t.Destination.Bucket], jsii.String(dependencyReason))
		out.Sources = append(out.Sources, src)
	}
	for _, g := range spec.MonitoringGroups(transfers) {
		out.Monitoring = append(out.Monitoring, NewMonitoringStack(scope, g.StackName(), &MonitoringStackProps{Transfers: g.Transfers}))
	}
	return out
}
