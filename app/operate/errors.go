package operate

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/smithy-go"

	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

// SourceStackName is the stack that deploys a transfer's task (the app's
// transfer.SourceStackName; not imported, to keep the CDK out of this program).
func SourceStackName(t spec.Transfer) string { return t.Name + "-source" }

// profileHint names what to pass for account.
func profileHint(account string) string {
	return fmt.Sprintf("--profile NAME (or AWS_PROFILE) with credentials of account %s, or --profile-template 'acct-{account}' with a profile per account", account)
}

// NoCredentialsError: the SDK found no usable credentials.
type NoCredentialsError struct {
	Profile string
	Err     error
}

func (e *NoCredentialsError) Error() string {
	where := "the environment (AWS_ACCESS_KEY_ID...), the default profile of ~/.aws/config and ~/.aws/credentials, and a container or instance role"
	if e.Profile != "" {
		where = fmt.Sprintf("profile %q", e.Profile)
	}
	return fmt.Sprintf("no AWS credentials: the SDK looked in %s and found none it could use. "+
		"Pass --profile NAME (or set AWS_PROFILE) for the transfer's source account; for an SSO profile run `aws sso login --profile NAME` first. (SDK: %v)",
		where, e.Err)
}

func (e *NoCredentialsError) Unwrap() error { return e.Err }

// NotDeployedError: no task of the transfer's name in its Region.
type NotDeployedError struct {
	Transfer spec.Transfer
	// Account is the credentials' account, "" when it could not be told (an
	// account with no task at all in the Region, and a provider that does not say).
	Account string
}

func (e *NotDeployedError) Error() string {
	t := e.Transfer
	msg := fmt.Sprintf("%s: no DataSync task named %q in %s", t.Name, t.TaskName(), t.Destination.Region)
	if e.Account != "" {
		msg += " of account " + e.Account
	}
	msg += fmt.Sprintf(": the transfer is not deployed yet. Deploy stack %s into account %s "+
		"(npx cdk deploy %s --exclusively -c config=FILE --profile SOURCE_PROFILE)",
		SourceStackName(t), t.Source.Account, SourceStackName(t))
	if e.Account == "" {
		msg += fmt.Sprintf(". If it is deployed, these credentials are for another account than %s: use %s",
			t.Source.Account, profileHint(t.Source.Account))
	}
	return msg
}

// WrongAccountError: the credentials are for an account that is not the transfer's
// source account, where its task lives.
type WrongAccountError struct {
	Transfer spec.Transfer
	Account  string // the credentials' account
	Profile  string
}

func (e *WrongAccountError) Error() string {
	t := e.Transfer
	using := "these credentials are"
	if e.Profile != "" {
		using = fmt.Sprintf("profile %q is", e.Profile)
	}
	return fmt.Sprintf("%s: %s for account %s, but the transfer's task is in its source account %s: use %s",
		t.Name, using, e.Account, t.Source.Account, profileHint(t.Source.Account))
}

// AmbiguousError: more than one task of the transfer's name, and not exactly one
// of them tagged by the provider for the transfer.
type AmbiguousError struct {
	Transfer spec.Transfer
	Arns     []string
	// Tagged are those of Arns the provider tagged for the transfer's stack (more
	// than one: a task of an earlier, deleted stack of the same name).
	Tagged []string
}

func (e *AmbiguousError) Error() string {
	t := e.Transfer
	what := "none carries the tags the provider gives the task it creates"
	if len(e.Tagged) > 1 {
		what = fmt.Sprintf("%d carry the provider's tags of stack %s (%s): one may be left from an earlier stack of that name",
			len(e.Tagged), SourceStackName(t), strings.Join(e.Tagged, ", "))
	}
	return fmt.Sprintf("%s: %d DataSync tasks are named %q in %s (%s), and %s; "+
		"the task ARN is an output of stack %s. Delete the extra task, or watch an execution by its ARN",
		t.Name, len(e.Arns), t.TaskName(), t.Destination.Region, strings.Join(e.Arns, ", "), what, SourceStackName(t))
}

// AccountCredentialsError: under --profile-template, an account's profile gave no
// usable credentials of that account. What needs the account is unknown, not
// failed: the reason says what to fix.
type AccountCredentialsError struct {
	Account, Profile, Reason string
}

func (e *AccountCredentialsError) Error() string {
	return fmt.Sprintf("no credentials for account %s: %s", e.Account, e.Reason)
}

// Unknown is whether err means that something could not be checked (no usable
// credentials, access denied, credentials of another account) rather than found
// absent or failed.
func Unknown(err error) bool {
	var (
		acct   *AccountCredentialsError
		none   *NoCredentialsError
		wrong  *WrongAccountError
		denied *AccessDeniedError
		reject *RejectedCredentialsError
	)
	return errors.As(err, &acct) || errors.As(err, &none) || errors.As(err, &wrong) || errors.As(err, &denied) || errors.As(err, &reject)
}

// AccessDeniedError: IAM refused an action.
type AccessDeniedError struct {
	Action    string // the permission missing, e.g. datasync:ListTasks, s3:ListBucket
	Account   string // the caller's account, from AWS's message, else the account called
	Principal string // the caller, from AWS's message
	Region    string
	Resource  string // what the call touched: a task ARN, "tasks in us-east-1", a bucket
	// Owner is the account that owns Resource, Profile the profile the call used
	// ("" for the SDK's default chain).
	Owner, Profile string
	Transfer       *spec.Transfer
	Message        string
}

func (e *AccessDeniedError) Error() string {
	who := "these credentials"
	if e.Principal != "" {
		who = e.Principal
	}
	msg := fmt.Sprintf("access denied: %s may not call %s", who, e.Action)
	if e.Resource != "" {
		msg += " on " + e.Resource
	}
	if e.Owner != "" {
		msg += " of account " + e.Owner
	}
	msg += " in " + e.Region
	profile := "the default credential chain"
	if e.Profile != "" {
		profile = fmt.Sprintf("profile %q", e.Profile)
	}
	msg += " (credentials: " + profile
	if e.Account != "" {
		msg += ", account " + e.Account
	}
	msg += ")"
	if e.Owner != "" && e.Account != "" && e.Account != e.Owner {
		return msg + fmt.Sprintf(". %s is in account %s: use %s", e.Resource, e.Owner, profileHint(e.Owner))
	}
	if strings.HasPrefix(e.Action, "s3:") {
		return msg + ". Missing permission: " + e.Action + " on that bucket, in the caller's IAM policy and, for a bucket of another account, in the bucket policy. AWS said: " + e.Message
	}
	return msg + ". Missing permission: " + e.Action +
		" (the transfers command needs datasync:ListTasks, ListTagsForResource, DescribeTask, ListTaskExecutions, DescribeTaskExecution; to start runs StartTaskExecution; to pause and resume UpdateTask; " +
		"the AWS managed policy AWSDataSyncReadOnlyAccess covers the reads). AWS said: " + e.Message
}

// RejectedCredentialsError: AWS did not accept the credentials themselves.
type RejectedCredentialsError struct {
	Code, Message, Profile string
}

func (e *RejectedCredentialsError) Error() string {
	what := "these credentials"
	if e.Profile != "" {
		what = fmt.Sprintf("profile %q's credentials", e.Profile)
	}
	return fmt.Sprintf("AWS rejected %s (%s: %s): they are expired, revoked or mistyped. "+
		"Refresh them (`aws sso login`, or new keys), or pass --profile NAME for other ones", what, e.Code, e.Message)
}

// deniedRe reads the caller and action of an AccessDeniedException's message.
var deniedRe = regexp.MustCompile(`User: (arn:aws[a-z-]*:(?:sts|iam)::(\d{12}):\S+) is not authorized to perform: (\S+)`)

// explain turns an error of a DataSync call into one that says what to do; op is
// the operation, account the account whose credentials made it, t the transfer it
// was for (nil if none), resource what it touched.
func (s *Session) explain(err error, op, account, region string, t *spec.Transfer, resource string) error {
	var acct *AccountCredentialsError
	var none *NoCredentialsError
	if errors.As(err, &acct) || errors.As(err, &none) {
		return err // no call was made
	}
	var api smithy.APIError
	if !errors.As(err, &api) {
		if t != nil {
			return fmt.Errorf("%s: DataSync %s in %s: %w", t.Name, op, region, err)
		}
		return fmt.Errorf("DataSync %s in %s: %w", op, region, err)
	}
	switch api.ErrorCode() {
	case "AccessDeniedException", "AccessDenied", "UnauthorizedOperation":
		d := &AccessDeniedError{Action: "datasync:" + op, Region: region, Transfer: t, Message: api.ErrorMessage(),
			Resource: resource, Owner: account, Profile: s.Profile(account)}
		if m := deniedRe.FindStringSubmatch(api.ErrorMessage()); m != nil {
			d.Principal, d.Account, d.Action = m[1], m[2], m[3]
		}
		return d
	case "UnrecognizedClientException", "InvalidClientTokenId", "InvalidSignatureException", "ExpiredTokenException", "ExpiredToken", "SignatureDoesNotMatch":
		return &RejectedCredentialsError{Code: api.ErrorCode(), Message: api.ErrorMessage(), Profile: s.Profile(account)}
	}
	if t != nil {
		return fmt.Errorf("%s: DataSync %s in %s failed: %s: %s", t.Name, op, region, api.ErrorCode(), api.ErrorMessage())
	}
	return fmt.Errorf("DataSync %s in %s failed: %s: %s", op, region, api.ErrorCode(), api.ErrorMessage())
}

// s3Permissions is the IAM action each S3 operation needs.
var s3Permissions = map[string]string{
	"ListObjectsV2": "s3:ListBucket", "ListObjectVersions": "s3:ListBucketVersions",
	"HeadObject": "s3:GetObject", "GetObject": "s3:GetObject", "GetObjectAttributes": "s3:GetObjectAttributes",
	"PutObject": "s3:PutObject", "HeadBucket": "s3:ListBucket",
}

// ExplainS3 turns an error of an S3 call (op, e.g. ListObjectsV2) on bucket of
// account into one that names the bucket, the account, the profile used and the
// permission missing; other errors are returned with the bucket named.
func (s *Session) ExplainS3(err error, op, bucket, account, region string) error {
	var explained *AccessDeniedError
	var rejected *RejectedCredentialsError
	if errors.As(err, &explained) || errors.As(err, &rejected) {
		return err // done by the client's middleware
	}
	var api smithy.APIError
	if !errors.As(err, &api) {
		return fmt.Errorf("S3 %s on bucket %s (account %s, %s): %w", op, bucket, account, region, err)
	}
	switch api.ErrorCode() {
	case "AccessDenied", "Forbidden", "AllAccessDisabled", "AccountProblem":
		action := s3Permissions[op]
		if action == "" {
			action = "s3:" + op
		}
		d := &AccessDeniedError{Action: action, Region: region, Resource: "bucket " + bucket, Owner: account,
			Profile: s.Profile(account), Message: api.ErrorMessage()}
		d.Account = s.callerAccount(account)
		if m := deniedRe.FindStringSubmatch(api.ErrorMessage()); m != nil {
			d.Principal, d.Account = m[1], m[2]
		}
		return d
	case "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "TokenRefreshRequired":
		return &RejectedCredentialsError{Code: api.ErrorCode(), Message: api.ErrorMessage(), Profile: s.Profile(account)}
	}
	return fmt.Errorf("S3 %s on bucket %s (account %s, %s) failed: %s: %s", op, bucket, account, region, api.ErrorCode(), api.ErrorMessage())
}
