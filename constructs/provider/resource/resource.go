// Package resource is what the transfer constructs and the custom-resource provider
// (package provider, its Lambda) share: the custom resource types, their property
// shapes, which updates replace an object, and the IAM actions each request of each
// type calls. The constructs build resource properties from these structs and the
// provider's role from the action table; the provider decodes the same structs.
//
// It imports no AWS SDK package and not aws-lambda-go, so that a CDK app that embeds
// the constructs compiles none of the provider's runtime (test/deps_test.go keeps it
// so).
package resource

import (
	"encoding/json"
	"fmt"
)

// Custom resource types served by the provider.
const (
	TypeS3Location             = "Custom::DataSyncS3Location"
	TypeTask                   = "Custom::DataSyncTask"
	TypeTaskExecution          = "Custom::DataSyncTaskExecution"
	TypeOwnershipControls      = "Custom::S3OwnershipControls"
	TypeBucketPolicyStatements = "Custom::S3BucketPolicyStatements"
	TypeLogsResourcePolicy     = "Custom::DataSyncLogsResourcePolicy"
)

// LocationProps are the properties of a TypeS3Location resource.
// Changing Region or S3BucketArn creates a new location.
type LocationProps struct {
	// Region is where the location is created: the bucket's Region.
	Region              string `json:"Region"`
	S3BucketArn         string `json:"S3BucketArn"`
	Subdirectory        string `json:"Subdirectory,omitempty"`
	S3StorageClass      string `json:"S3StorageClass,omitempty"`
	BucketAccessRoleArn string `json:"BucketAccessRoleArn"`
	// Name is written to the location's Name tag.
	Name string `json:"Name,omitempty"`
}

// TaskProps are the properties of a TypeTask resource. Changing Region, either
// location or TaskMode creates a new task. Empty strings mean "not set".
type TaskProps struct {
	// Region is where the task is created: the destination location's Region.
	Region                 string `json:"Region"`
	SourceLocationArn      string `json:"SourceLocationArn"`
	DestinationLocationArn string `json:"DestinationLocationArn"`
	Name                   string `json:"Name"`
	TaskMode               string `json:"TaskMode"`
	CloudWatchLogGroupArn  string `json:"CloudWatchLogGroupArn,omitempty"`
	VerifyMode             string `json:"VerifyMode"`
	OverwriteMode          string `json:"OverwriteMode"`
	TransferMode           string `json:"TransferMode"`
	PreserveDeletedFiles   string `json:"PreserveDeletedFiles"`
	ObjectTags             string `json:"ObjectTags"`
	LogLevel               string `json:"LogLevel"`
	// BytesPerSecond is a decimal integer; "-1" or empty means no limit.
	BytesPerSecond string `json:"BytesPerSecond,omitempty"`
	// Includes and Excludes are '|'-separated SIMPLE_PATTERN filters.
	Includes string `json:"Includes,omitempty"`
	Excludes string `json:"Excludes,omitempty"`
	Schedule string `json:"Schedule,omitempty"`
	// Report* configure the task report; empty ReportBucketArn means no report.
	ReportBucketArn    string `json:"ReportBucketArn,omitempty"`
	ReportSubdirectory string `json:"ReportSubdirectory,omitempty"`
	ReportRoleArn      string `json:"ReportRoleArn,omitempty"`
	ReportLevel        string `json:"ReportLevel,omitempty"`
}

// TaskExecutionProps are the properties of a TypeTaskExecution resource: one
// execution is started when the resource is created and whenever TaskArn changes.
type TaskExecutionProps struct {
	Region  string `json:"Region"`
	TaskArn string `json:"TaskArn"`
}

// OwnershipControlsProps are the properties of a TypeOwnershipControls resource.
type OwnershipControlsProps struct {
	Region string `json:"Region"`
	Bucket string `json:"Bucket"`
}

// BucketPolicyStatementsProps are the properties of a TypeBucketPolicyStatements
// resource: Statements is a JSON array of policy statements, each with a Sid. The
// provider owns exactly those Sids in the bucket's policy.
type BucketPolicyStatementsProps struct {
	Region     string `json:"Region"`
	Bucket     string `json:"Bucket"`
	Statements string `json:"Statements"`
	// RemoveDeletedPrincipals "true" lets the provider take the unique IDs of deleted
	// IAM principals out of statements that are not ours (and drop a statement left
	// without principals) when they would make S3 refuse the write. Default (""):
	// such a policy fails the request, naming them.
	RemoveDeletedPrincipals string `json:"RemoveDeletedPrincipals,omitempty"`
}

// LogsResourcePolicyProps are the properties of a TypeLogsResourcePolicy resource:
// one CloudWatch Logs resource policy per account and Region, shared by every task
// whose log group starts with LogGroupPrefix.
type LogsResourcePolicyProps struct {
	Region         string `json:"Region"`
	PolicyName     string `json:"PolicyName"`
	PolicyDocument string `json:"PolicyDocument"`
	// LogGroupPrefix identifies the tasks that use the policy (e.g. "/aws/datasync/");
	// the policy is deleted with the last such task.
	LogGroupPrefix string `json:"LogGroupPrefix"`
}

// ToProperties turns a props struct into the map CloudFormation resource properties
// are written from. Values may be CDK token strings; they resolve at synth time.
func ToProperties(props any) map[string]any {
	raw, err := json.Marshal(props)
	if err != nil {
		panic(fmt.Sprintf("resource: cannot marshal %T: %v", props, err))
	}
	out := map[string]any{}
	if err := json.Unmarshal(raw, &out); err != nil {
		panic(fmt.Sprintf("resource: cannot unmarshal %T: %v", props, err))
	}
	return out
}

// Decode reads CloudFormation resource properties (every scalar a string) into one
// of the props structs.
func Decode(properties map[string]any, into any) error {
	raw, err := json.Marshal(properties)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, into); err != nil {
		return fmt.Errorf("invalid resource properties for %T: %w", into, err)
	}
	return nil
}
