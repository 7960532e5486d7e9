package resource

import "slices"

// Request is the type of a CloudFormation custom-resource request, with
// CloudFormation's values (those of aws-lambda-go's cfn.RequestType, which this
// package does not import: the provider converts, and its tests check the values).
type Request string

// The request types.
const (
	Create Request = "Create"
	Update Request = "Update"
	Delete Request = "Delete"
)

// The IAM actions each path of the provider calls, including the ones AWS checks
// implicitly: one source of truth for the role the constructs give the provider's
// Lambda function. A test of package provider drives every path against recording fakes and fails when
// a call is not covered here, or when an entry here is never needed.
//
// Implied actions, besides the operation's own:
//   - iam:PassRole on the bucket-access role for CreateLocationS3 and UpdateLocationS3
//     (S3Config.BucketAccessRoleArn), and on the report role for CreateTask and
//     UpdateTask with a task report;
//   - s3:ListBucket on the location's bucket for CreateLocationS3 and UpdateLocationS3:
//     DataSync's location access test runs HeadBucket as the caller
//     (hashicorp/terraform-provider-aws#21974);
//   - datasync:TagResource for a create with tags (CreateLocationS3, CreateTask,
//     StartTaskExecution): https://docs.aws.amazon.com/datasync/latest/userguide/supported-iam-actions-tagging.html;
//   - iam:CreateServiceLinkedRole (AWSServiceRoleForDataSync) for an ENHANCED CreateTask.
//
// An update can replace a location or task (new bucket, Region, location or task
// mode), so an update needs everything a create needs; it first describes the
// object its physical ID names (and, rolling back, the original it looks for), since
// replacement is decided against the object itself; rolling back its own failed
// update, it deletes what that update may have created (provider's removeLeftovers). A delete of a failed
// create's placeholder looks for what that create left, so deletes list and read tags.
var requiredActions = map[string]map[Request][]string{
	TypeS3Location: {
		Create: locationCreate,
		Update: append(slices.Clone(locationCreate), "datasync:DescribeLocationS3", "datasync:UpdateLocationS3", "datasync:DeleteLocation"),
		Delete: {"datasync:DeleteLocation", "datasync:ListLocations", "datasync:ListTagsForResource"},
	},
	TypeTask: {
		Create: taskCreate,
		Update: append(slices.Clone(taskCreate), "datasync:DescribeTask", "datasync:UpdateTask", "datasync:DeleteTask"),
		Delete: {"datasync:DeleteTask", "datasync:ListTasks", "datasync:ListTagsForResource"},
	},
	TypeTaskExecution: {
		Create: executionStart,
		Update: executionStart,
		Delete: nil,
	},
	TypeOwnershipControls: {
		Create: ownershipSet,
		Update: ownershipSet,
		Delete: nil,
	},
	TypeBucketPolicyStatements: {
		Create: {"s3:GetBucketPolicy", "s3:PutBucketPolicy"},
		Update: policyEdit,
		Delete: policyEdit,
	},
	TypeLogsResourcePolicy: {
		Create: {"logs:PutResourcePolicy"},
		Update: {"logs:PutResourcePolicy"},
		Delete: {"datasync:ListTasks", "datasync:DescribeTask", "logs:DeleteResourcePolicy"},
	},
}

var (
	locationCreate = []string{
		"datasync:ListLocations", "datasync:ListTagsForResource", "datasync:CreateLocationS3", "datasync:TagResource",
		"iam:PassRole", "s3:ListBucket",
	}
	taskCreate = []string{
		"datasync:ListTasks", "datasync:ListTagsForResource", "datasync:CreateTask", "datasync:TagResource",
		"iam:CreateServiceLinkedRole", "iam:PassRole",
	}
	executionStart = []string{
		"datasync:ListTaskExecutions", "datasync:ListTagsForResource", "datasync:DescribeTask",
		"datasync:StartTaskExecution", "datasync:TagResource",
	}
	ownershipSet = []string{"s3:GetBucketOwnershipControls", "s3:GetBucketAcl", "s3:PutBucketOwnershipControls"}
	// An update can leave no statement of ours and a delete can leave no statement at
	// all: both may delete the policy.
	policyEdit = []string{"s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"}
)

// RequiredActions returns the IAM actions the provider calls for a request of
// requestType on a resource of resourceType, sorted; nil for a type it does not serve.
func RequiredActions(resourceType string, requestType Request) []string {
	out := slices.Clone(requiredActions[resourceType][requestType])
	slices.Sort(out)
	return slices.Compact(out)
}

// Types returns the custom resource types the provider serves, sorted.
func Types() []string {
	out := make([]string, 0, len(requiredActions))
	for typ := range requiredActions {
		out = append(out, typ)
	}
	slices.Sort(out)
	return out
}

// Resource placeholders in ActionResources.
const (
	ResPartition = "${Partition}"
	ResRegion    = "${Region}"  // the Region of the location, task or bucket
	ResAccount   = "${Account}" // the account of the provider's role
	ResBucket    = "${Bucket}"  // the bucket of the resource
	ResRole      = "${Role}"    // the role passed: the bucket-access role, or the report role
)

// actionResources says on which resources each action can be granted, from the
// Service Authorization Reference and the DataSync API permissions page
// (https://docs.aws.amazon.com/datasync/latest/userguide/datasync-api-permissions-ref.html).
// "*" means the action supports no resource-level permissions.
var actionResources = map[string][]string{
	"datasync:CreateLocationS3":    {"*"},
	"datasync:ListLocations":       {"*"},
	"datasync:ListTasks":           {"*"},
	"datasync:ListTaskExecutions":  {"*"},
	"datasync:CreateTask":          {"*"},
	"datasync:UpdateLocationS3":    {dataSyncArn("location/*")},
	"datasync:DescribeLocationS3":  {dataSyncArn("location/*")},
	"datasync:DeleteLocation":      {dataSyncArn("location/*")},
	"datasync:UpdateTask":          {dataSyncArn("task/*")},
	"datasync:DeleteTask":          {dataSyncArn("task/*")},
	"datasync:DescribeTask":        {dataSyncArn("task/*")},
	"datasync:StartTaskExecution":  {dataSyncArn("task/*")},
	"datasync:ListTagsForResource": {dataSyncArn("location/*"), dataSyncArn("task/*")},
	"datasync:TagResource":         {dataSyncArn("location/*"), dataSyncArn("task/*")},
	"iam:PassRole":                 {ResRole},
	"iam:CreateServiceLinkedRole": {
		"arn:" + ResPartition + ":iam::" + ResAccount + ":role/aws-service-role/datasync.amazonaws.com/AWSServiceRoleForDataSync",
	},
	"s3:ListBucket":                 {bucketArn},
	"s3:GetBucketOwnershipControls": {bucketArn},
	"s3:GetBucketAcl":               {bucketArn},
	"s3:PutBucketOwnershipControls": {bucketArn},
	"s3:GetBucketPolicy":            {bucketArn},
	"s3:PutBucketPolicy":            {bucketArn},
	"s3:DeleteBucketPolicy":         {bucketArn},
	"logs:PutResourcePolicy":        {"*"},
	"logs:DeleteResourcePolicy":     {"*"},
}

const bucketArn = "arn:" + ResPartition + ":s3:::" + ResBucket

// dataSyncArn is the ARN pattern of DataSync resources; "task/*" also matches the
// task's executions (task/<id>/execution/<id>), since * spans slashes.
func dataSyncArn(resource string) string {
	return "arn:" + ResPartition + ":datasync:" + ResRegion + ":" + ResAccount + ":" + resource
}

// ActionResources returns the resource ARN patterns an action of RequiredActions can
// be granted on, with the Res* placeholders to fill in; "*" when the action supports
// no resource-level permissions. Conditions the role should add: iam:PassedToService
// = datasync.amazonaws.com on iam:PassRole, iam:AWSServiceName = datasync.amazonaws.com
// on iam:CreateServiceLinkedRole.
func ActionResources(action string) []string {
	return slices.Clone(actionResources[action])
}
