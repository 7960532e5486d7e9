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
	return fmt.Sprintf("--profile NAME (or AWS_PROFILE) with credentials of account %s", account)
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

// AmbiguousError: more than one task of the transfer's name.
type AmbiguousError struct {
	Transfer spec.Transfer
	Arns     []string
}

func (e *AmbiguousError) Error() string {
	return fmt.Sprintf("%s: %d DataSync tasks are named %q in %s (%s): the app creates one; "+
		"the task ARN is an output of stack %s. Delete the extra task, or watch an execution by its ARN",
		e.Transfer.Name, len(e.Arns), e.Transfer.TaskName(), e.Transfer.Destination.Region, strings.Join(e.Arns, ", "), SourceStackName(e.Transfer))
}

// AccessDeniedError: IAM refused a DataSync action.
type AccessDeniedError struct {
	Action    string // e.g. datasync:ListTasks
	Account   string // the caller's account, from AWS's message; "" if it did not say
	Principal string // the caller, from AWS's message
	Region    string
	Transfer  *spec.Transfer
	Message   string
}

func (e *AccessDeniedError) Error() string {
	who := "these credentials"
	if e.Principal != "" {
		who = e.Principal
	}
	msg := fmt.Sprintf("access denied: %s may not call %s in %s", who, e.Action, e.Region)
	if e.Account != "" {
		msg += " (account " + e.Account + ")"
	}
	if t := e.Transfer; t != nil && e.Account != "" && e.Account != t.Source.Account {
		return msg + fmt.Sprintf(". Transfer %s's task is in its source account %s: use %s", t.Name, t.Source.Account, profileHint(t.Source.Account))
	}
	return msg + ". Use credentials whose policy allows " + e.Action +
		" (the transfers command needs datasync:ListTasks, DescribeTask, ListTaskExecutions, DescribeTaskExecution and, to start runs, StartTaskExecution; " +
		"the AWS managed policy AWSDataSyncReadOnlyAccess covers all but the last). AWS said: " + e.Message
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
// the operation, t the transfer it was for (nil if none).
func (s *Session) explain(err error, op, region string, t *spec.Transfer) error {
	var api smithy.APIError
	if !errors.As(err, &api) {
		if t != nil {
			return fmt.Errorf("%s: DataSync %s in %s: %w", t.Name, op, region, err)
		}
		return fmt.Errorf("DataSync %s in %s: %w", op, region, err)
	}
	switch api.ErrorCode() {
	case "AccessDeniedException", "AccessDenied", "UnauthorizedOperation":
		d := &AccessDeniedError{Action: "datasync:" + op, Region: region, Transfer: t, Message: api.ErrorMessage()}
		if m := deniedRe.FindStringSubmatch(api.ErrorMessage()); m != nil {
			d.Principal, d.Account, d.Action = m[1], m[2], m[3]
		}
		return d
	case "UnrecognizedClientException", "InvalidClientTokenId", "InvalidSignatureException", "ExpiredTokenException", "ExpiredToken", "SignatureDoesNotMatch":
		return &RejectedCredentialsError{Code: api.ErrorCode(), Message: api.ErrorMessage(), Profile: s.profile}
	}
	if t != nil {
		return fmt.Errorf("%s: DataSync %s in %s failed: %s: %s", t.Name, op, region, api.ErrorCode(), api.ErrorMessage())
	}
	return fmt.Errorf("DataSync %s in %s failed: %s: %s", op, region, api.ErrorCode(), api.ErrorMessage())
}
