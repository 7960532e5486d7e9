// Package transfer holds the CDK constructs that set up a cross-account S3-to-S3
// AWS DataSync transfer, as the AWS tutorial "Transferring data from Amazon S3 to
// Amazon S3 across AWS accounts" does by hand:
//
//   - DestinationAccess, in the destination account: ACLs disabled on the destination
//     bucket and the bucket-policy statements that let the source account's two roles
//     in (or the bucket itself, created and retained);
//   - SourceTransfer, in the source account: the DataSync bucket-access role, the
//     location-admin role, both DataSync locations and the task (each in the Region
//     where it must live), logging, notifications;
//   - DestinationStack, SourceStack and NewTransferStacks, which place them as the
//     app does (both stacks in the destination Region, source after destination);
//   - TransferStage, both stacks of one transfer for CDK Pipelines.
//
// Every construct takes a spec.Transfer, validated when the construct is created.
package transfer

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

// Sid roles of the destination bucket-policy statements (see spec.StatementSid).
const (
	sidBucketAccess  = "BucketAccess"
	sidLocationAdmin = "LocationAdmin"
	sidKeyAccess     = "KeyAccess"
)

// destinationBucketActions are the ten S3 actions the tutorial's bucket policy grants
// the DataSync bucket-access role on the destination bucket and its objects.
var destinationBucketActions = []string{
	"s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads",
	"s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:ListMultipartUploadParts",
	"s3:PutObject", "s3:GetObjectTagging", "s3:PutObjectTagging",
}

// sourceBucketActions are what DataSync needs to read the source bucket: list, read,
// tagging and versions.
var sourceBucketActions = []string{
	"s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads",
	"s3:GetObject", "s3:GetObjectTagging", "s3:GetObjectVersion", "s3:GetObjectVersionTagging",
	"s3:ListMultipartUploadParts",
}

// destinationKeyActions let the bucket-access role write SSE-KMS objects; the source
// key needs only kms:Decrypt and kms:DescribeKey.
var destinationKeyActions = []string{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"}

// validated returns the transfer with defaults applied, or panics with every problem
// (the way CDK constructs report invalid props).
func validated(t *spec.Transfer) spec.Transfer {
	if t == nil {
		panic("transfer: Transfer is required")
	}
	if err := t.Validate(); err != nil {
		panic(fmt.Sprintf("transfer %q is invalid:\n%v", t.Name, err))
	}
	return t.WithDefaults()
}

func bucketArn(t spec.Transfer, bucket string) string {
	return fmt.Sprintf("arn:%s:s3:::%s", t.Partition(), bucket)
}

// roleStatement is a policy statement in a resource policy of the destination
// account that names a role of the source account: the account as principal,
// narrowed to the exact role ARN by condition. Unlike a role-ARN principal it can be
// written before the role exists and keeps working when the role is re-created
// (DESIGN.md, "Principals"). It renders both as a CDK statement and as plain JSON for
// the provider, from the one value.
type roleStatement struct {
	Sid       string
	Account   string // the source account
	Partition string
	RoleArn   string
	Actions   []string
	Resources []string
}

func sourceRoleStatement(t spec.Transfer, sid, roleName string, actions, resources []string) roleStatement {
	return roleStatement{
		Sid: t.StatementSid(sid), Account: t.Source.Account, Partition: t.Partition(),
		RoleArn: t.RoleArn(roleName), Actions: actions, Resources: resources,
	}
}

func (s roleStatement) condition() map[string]interface{} {
	return map[string]interface{}{"ArnEquals": map[string]interface{}{"aws:PrincipalArn": s.RoleArn}}
}

// cdk returns the statement for a policy the app owns.
func (s roleStatement) cdk() awsiam.PolicyStatement {
	cond := s.condition()
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String(s.Sid),
		Effect:     awsiam.Effect_ALLOW,
		Principals: &[]awsiam.IPrincipal{awsiam.NewAccountPrincipal(jsii.String(s.Account))},
		Actions:    jsii.Strings(s.Actions...),
		Resources:  jsii.Strings(s.Resources...),
		Conditions: &cond,
	})
}

// MarshalJSON renders the statement as IAM policy JSON.
func (s roleStatement) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]interface{}{
		"Sid":       s.Sid,
		"Effect":    "Allow",
		"Principal": map[string]string{"AWS": fmt.Sprintf("arn:%s:iam::%s:root", s.Partition, s.Account)},
		"Action":    s.Actions,
		"Resource":  s.Resources,
		"Condition": s.condition(),
	})
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// suppress records a cdk-nag suppression on one construct (and its children), with
// the reason a reviewer reads. appliesTo narrows it to specific findings.
func suppress(c constructs.IConstruct, rule, reason string, appliesTo ...string) {
	s := &cdknag.NagPackSuppression{Id: jsii.String(rule), Reason: jsii.String(reason)}
	if len(appliesTo) > 0 {
		list := make([]interface{}, len(appliesTo))
		for i, a := range appliesTo {
			list[i] = a
		}
		s.AppliesTo = &list
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &[]*cdknag.NagPackSuppression{s}, jsii.Bool(true))
}

// stackRegionIs reports whether the stack of scope is pinned to region.
func stackRegionIs(scope constructs.Construct, region string) bool {
	r := awscdk.Stack_Of(scope).Region()
	return r != nil && !*awscdk.Token_IsUnresolved(r) && *r == region
}
