// Package provider is the CloudFormation custom-resource provider behind the
// transfer constructs: DataSync S3 locations and tasks created with the
// location-admin role's own credentials (CloudFormation's native resources would use
// the deploy role, which the destination bucket policy does not name), ACLs disabled
// and policy statements merged on buckets the stack does not own, the shared
// CloudWatch Logs resource policy for DataSync, and the optional first task execution.
//
// It is plain Go (aws-sdk-go-v2 and aws-lambda-go's cfn types); the Lambda entry
// point is the lambda subpackage. What the constructs share with it (the resource
// types, their property structs, the replacement rules and the IAM action table) is
// package resource, which imports neither, so that the constructs do not compile the
// provider's runtime.
package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/datasync"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3transfer/cdk-datasync/constructs/provider/resource"
)

// DataSyncAPI is the part of *datasync.Client the provider calls.
type DataSyncAPI interface {
	CreateLocationS3(context.Context, *datasync.CreateLocationS3Input, ...func(*datasync.Options)) (*datasync.CreateLocationS3Output, error)
	UpdateLocationS3(context.Context, *datasync.UpdateLocationS3Input, ...func(*datasync.Options)) (*datasync.UpdateLocationS3Output, error)
	DescribeLocationS3(context.Context, *datasync.DescribeLocationS3Input, ...func(*datasync.Options)) (*datasync.DescribeLocationS3Output, error)
	DeleteLocation(context.Context, *datasync.DeleteLocationInput, ...func(*datasync.Options)) (*datasync.DeleteLocationOutput, error)
	CreateTask(context.Context, *datasync.CreateTaskInput, ...func(*datasync.Options)) (*datasync.CreateTaskOutput, error)
	UpdateTask(context.Context, *datasync.UpdateTaskInput, ...func(*datasync.Options)) (*datasync.UpdateTaskOutput, error)
	DeleteTask(context.Context, *datasync.DeleteTaskInput, ...func(*datasync.Options)) (*datasync.DeleteTaskOutput, error)
	DescribeTask(context.Context, *datasync.DescribeTaskInput, ...func(*datasync.Options)) (*datasync.DescribeTaskOutput, error)
	ListTasks(context.Context, *datasync.ListTasksInput, ...func(*datasync.Options)) (*datasync.ListTasksOutput, error)
	ListLocations(context.Context, *datasync.ListLocationsInput, ...func(*datasync.Options)) (*datasync.ListLocationsOutput, error)
	ListTaskExecutions(context.Context, *datasync.ListTaskExecutionsInput, ...func(*datasync.Options)) (*datasync.ListTaskExecutionsOutput, error)
	ListTagsForResource(context.Context, *datasync.ListTagsForResourceInput, ...func(*datasync.Options)) (*datasync.ListTagsForResourceOutput, error)
	StartTaskExecution(context.Context, *datasync.StartTaskExecutionInput, ...func(*datasync.Options)) (*datasync.StartTaskExecutionOutput, error)
}

// S3API is the part of *s3.Client the provider calls.
type S3API interface {
	GetBucketOwnershipControls(context.Context, *s3.GetBucketOwnershipControlsInput, ...func(*s3.Options)) (*s3.GetBucketOwnershipControlsOutput, error)
	GetBucketAcl(context.Context, *s3.GetBucketAclInput, ...func(*s3.Options)) (*s3.GetBucketAclOutput, error)
	PutBucketOwnershipControls(context.Context, *s3.PutBucketOwnershipControlsInput, ...func(*s3.Options)) (*s3.PutBucketOwnershipControlsOutput, error)
	GetBucketPolicy(context.Context, *s3.GetBucketPolicyInput, ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error)
	PutBucketPolicy(context.Context, *s3.PutBucketPolicyInput, ...func(*s3.Options)) (*s3.PutBucketPolicyOutput, error)
	DeleteBucketPolicy(context.Context, *s3.DeleteBucketPolicyInput, ...func(*s3.Options)) (*s3.DeleteBucketPolicyOutput, error)
}

// LogsAPI is the part of *cloudwatchlogs.Client the provider calls.
type LogsAPI interface {
	PutResourcePolicy(context.Context, *cloudwatchlogs.PutResourcePolicyInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutResourcePolicyOutput, error)
	DeleteResourcePolicy(context.Context, *cloudwatchlogs.DeleteResourcePolicyInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DeleteResourcePolicyOutput, error)
}

// Handler serves the custom resource types. Clients are made per Region, since a
// location or task may live in another Region than the Lambda function.
type Handler struct {
	DataSync func(region string) DataSyncAPI
	S3       func(region string) S3API
	Logs     func(region string) LogsAPI
	// Retry governs retries of IAM-propagation errors.
	Retry Backoff
	// PolicySettle is how long to wait after writing a bucket policy before the first
	// read back that confirms that the write held: ours there, every other statement
	// unchanged. It must be longer than a concurrent writer's read-to-write window
	// (milliseconds), so that its write has landed when we check. Reads that still
	// show the policy from before the write go on, paced by PolicyReadBack.
	PolicySettle time.Duration
	// PolicyReadBack paces the further reads after a bucket-policy write while S3
	// still shows the policy from before it. Default (zero Budget):
	// DefaultPolicyReadBack, sleeping with Retry's Sleep.
	PolicyReadBack Backoff
}

// Result is what a successful operation reports to CloudFormation.
type Result struct {
	PhysicalID string
	Data       map[string]any
	// Message, when set, is the reason sent with SUCCESS: something the request did
	// besides its resource's own change (shown in the stack event).
	Message string
}

// Handle performs one CloudFormation request and returns the physical resource ID
// and data to report, or an error whose text becomes the failure reason.
func (h *Handler) Handle(ctx context.Context, event cfn.Event) (Result, error) {
	switch event.ResourceType {
	case resource.TypeS3Location:
		return h.location(ctx, event)
	case resource.TypeTask:
		return h.task(ctx, event)
	case resource.TypeTaskExecution:
		return h.taskExecution(ctx, event)
	case resource.TypeOwnershipControls:
		return h.ownershipControls(ctx, event)
	case resource.TypeBucketPolicyStatements:
		return h.bucketPolicyStatements(ctx, event)
	case resource.TypeLogsResourcePolicy:
		return h.logsResourcePolicy(ctx, event)
	}
	if event.RequestType == cfn.RequestDelete {
		// Nothing of an unknown type was ever created; let the stack delete.
		return Result{PhysicalID: event.PhysicalResourceID}, nil
	}
	return Result{}, fmt.Errorf("unsupported resource type %q", event.ResourceType)
}

// props decodes the new (and, on update, old) properties of an event.
func props[T any](event cfn.Event) (cur, old T, err error) {
	if err = resource.Decode(event.ResourceProperties, &cur); err != nil {
		return
	}
	if event.RequestType == cfn.RequestUpdate {
		err = resource.Decode(event.OldResourceProperties, &old)
	}
	return
}
