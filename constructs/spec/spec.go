// Package spec describes one cross-account S3-to-S3 DataSync transfer as a plain Go
// value, applies the documented defaults and validates it. It does not use jsii, so
// config loaders, tests and other tools can use it without starting Node.js.
//
// The field names and their YAML keys are the config file's interface (see the
// README's config reference); the constructs in package transfer read the same type.
//
//go:generate go run ./internal/genregions
//go:generate go run ./internal/gendstypes
package spec

import (
	"fmt"

	"github.com/s3transfer/cdk-datasync/constructs/spec/internal/dstypes"
)

// Transfer is one S3-to-S3 transfer from a bucket in the source account to a bucket in
// the destination account.
type Transfer struct {
	// Name identifies the transfer in stack, role, log group and resource names:
	// 1-32 characters, lowercase letters, digits and hyphens, starting with a letter.
	// Required.
	Name string `yaml:"name" json:"name"`
	// Source is the bucket the data is read from. Required.
	Source Source `yaml:"source" json:"source"`
	// Destination is the bucket the data is written to. Required.
	Destination Destination `yaml:"destination" json:"destination"`
	// Task holds the DataSync task settings. Default: every field's own default.
	Task Task `yaml:"task" json:"task"`
	// Notifications says who hears about failed task executions. Default: nobody.
	Notifications Notifications `yaml:"notifications" json:"notifications"`
	// Monitoring configures notifications of what needs attention and dashboards.
	// Default: on, with every field's own default (see Monitoring).
	Monitoring Monitoring `yaml:"monitoring" json:"monitoring"`
}

// Source is the bucket in the source account. The source account also holds the
// DataSync roles, both locations and the task.
type Source struct {
	// Account is the 12-digit ID of the account that owns the source bucket. Required.
	Account string `yaml:"account" json:"account"`
	// Region is the source bucket's Region. Required.
	Region string `yaml:"region" json:"region"`
	// Bucket is the source bucket's name. Required.
	Bucket string `yaml:"bucket" json:"bucket"`
	// Prefix is the subdirectory DataSync reads from. Default: the whole bucket.
	Prefix string `yaml:"prefix" json:"prefix,omitempty"`
	// KmsKeyArn is the customer-managed KMS key of a bucket encrypted with SSE-KMS.
	// Default: none (S3-managed or AWS-managed encryption; no KMS permissions granted).
	KmsKeyArn string `yaml:"kmsKeyArn" json:"kmsKeyArn,omitempty"`
}

// Destination is the bucket in the destination account.
type Destination struct {
	// Account is the 12-digit ID of the account that owns the destination bucket.
	// Required.
	Account string `yaml:"account" json:"account"`
	// Region is the destination bucket's Region; the task runs here. Required.
	Region string `yaml:"region" json:"region"`
	// Bucket is the destination bucket's name. Required.
	Bucket string `yaml:"bucket" json:"bucket"`
	// Prefix is the subdirectory DataSync writes to. Default: the bucket's root.
	Prefix string `yaml:"prefix" json:"prefix,omitempty"`
	// StorageClass is the S3 storage class of the objects DataSync writes.
	// Default: STANDARD.
	StorageClass string `yaml:"storageClass" json:"storageClass,omitempty"`
	// KmsKeyArn is the customer-managed KMS key the destination bucket encrypts with.
	// Default: none (with CreateBucket: S3-managed encryption unless CreateKmsKey).
	KmsKeyArn string `yaml:"kmsKeyArn" json:"kmsKeyArn,omitempty"`
	// CreateBucket makes the destination stack create and own the bucket (retained
	// when the stack is deleted). Default: false, the bucket exists already.
	CreateBucket bool `yaml:"createBucket" json:"createBucket,omitempty"`
	// CreateKmsKey makes the destination stack create a customer-managed KMS key for
	// the bucket it creates, with a key policy that lets the DataSync role use it.
	// Only with CreateBucket and without KmsKeyArn. Default: false.
	CreateKmsKey bool `yaml:"createKmsKey" json:"createKmsKey,omitempty"`
	// NoncurrentVersionExpirationDays makes S3 delete the noncurrent versions of
	// objects in the bucket the stack creates (it is versioned) that many days after
	// they became noncurrent: DataSync's overwrites (overwriteMode ALWAYS) and
	// deletions (preserveDeletedFiles REMOVE) leave the previous versions behind, each
	// billed as a whole object. Only with CreateBucket. Default: 0, versions are kept.
	NoncurrentVersionExpirationDays int `yaml:"noncurrentVersionExpirationDays" json:"noncurrentVersionExpirationDays,omitempty"`
	// RemoveDeletedPrincipals lets the destination stack remove, from the policy of an
	// existing bucket, the unique IDs (AROA..., AIDA...) that S3 shows for deleted IAM
	// roles and users in statements that are not this project's, and any statement
	// left without a principal, when the stack must write the policy (S3 refuses to
	// write a policy that still holds one); it reports what it removed in the stack
	// event and its log. Only without CreateBucket. Default: false, such a policy
	// fails the deployment, naming each statement and unique ID.
	RemoveDeletedPrincipals bool `yaml:"removeDeletedPrincipals" json:"removeDeletedPrincipals,omitempty"`
}

// Task holds the DataSync task settings. Enum values are the DataSync API's own.
type Task struct {
	// Mode is the task mode, ENHANCED or BASIC. It cannot change after creation
	// (changing it replaces the task). Default: ENHANCED.
	Mode string `yaml:"mode" json:"mode,omitempty"`
	// VerifyMode is ONLY_FILES_TRANSFERRED, POINT_IN_TIME_CONSISTENT (BASIC only) or
	// NONE. Default: ONLY_FILES_TRANSFERRED.
	VerifyMode string `yaml:"verifyMode" json:"verifyMode,omitempty"`
	// OverwriteMode is ALWAYS or NEVER. Default: ALWAYS.
	OverwriteMode string `yaml:"overwriteMode" json:"overwriteMode,omitempty"`
	// TransferMode is CHANGED or ALL. Default: CHANGED.
	TransferMode string `yaml:"transferMode" json:"transferMode,omitempty"`
	// PreserveDeletedFiles is PRESERVE or REMOVE (deletes destination objects that
	// are not in the source; not with TransferMode ALL). Default: PRESERVE.
	PreserveDeletedFiles string `yaml:"preserveDeletedFiles" json:"preserveDeletedFiles,omitempty"`
	// ObjectTags is PRESERVE or NONE. Default: PRESERVE.
	ObjectTags string `yaml:"objectTags" json:"objectTags,omitempty"`
	// BytesPerSecond limits the task's bandwidth (BASIC mode only); -1 means no limit.
	// Default: no limit.
	BytesPerSecond int64 `yaml:"bytesPerSecond" json:"bytesPerSecond,omitempty"`
	// Includes are SIMPLE_PATTERN include patterns, joined with '|' into one filter
	// rule. Default: everything under the source prefix.
	Includes []string `yaml:"includes" json:"includes,omitempty"`
	// Excludes are SIMPLE_PATTERN exclude patterns, joined with '|' into one filter
	// rule. Default: nothing excluded.
	Excludes []string `yaml:"excludes" json:"excludes,omitempty"`
	// Schedule is a rate(...) or cron(...) expression in UTC, at least one hour
	// between runs. Default: no schedule; runs start by hand.
	Schedule string `yaml:"schedule" json:"schedule,omitempty"`
	// LogLevel is OFF, BASIC or TRANSFER. ENHANCED tasks log to /aws/datasync;
	// BASIC tasks log to a log group /aws/datasync/<name> the source stack creates.
	// Default: BASIC.
	LogLevel string `yaml:"logLevel" json:"logLevel,omitempty"`
	// LogRetentionDays is the retention of the BASIC-mode log group, one of the
	// values CloudWatch Logs allows. Default: 30.
	LogRetentionDays int `yaml:"logRetentionDays" json:"logRetentionDays,omitempty"`
	// Report configures a DataSync task report. Default: no report.
	Report *Report `yaml:"report" json:"report,omitempty"`
	// StartOnDeploy starts one task execution when the task is created (and when it
	// is replaced). Default: false.
	StartOnDeploy bool `yaml:"startOnDeploy" json:"startOnDeploy,omitempty"`
}

// Report is where DataSync writes its task report. The bucket must be in the source
// account; the bucket-access role is allowed to write under the prefix.
type Report struct {
	// Bucket is the report bucket's name. Required.
	Bucket string `yaml:"bucket" json:"bucket"`
	// Prefix is the subdirectory for reports. Default: the bucket's root.
	Prefix string `yaml:"prefix" json:"prefix,omitempty"`
	// Level is ERRORS_ONLY or SUCCESSES_AND_ERRORS. Default: ERRORS_ONLY.
	Level string `yaml:"level" json:"level,omitempty"`
}

// Notifications configures who hears about failed task executions.
type Notifications struct {
	// Email receives a mail for every failed execution of the task (after confirming
	// the SNS subscription). Default: no notifications.
	Email string `yaml:"email" json:"email,omitempty"`
}

// Defaults of the task settings (DESIGN.md: never delete destination data by default).
const (
	DefaultMode                 = string(dstypes.TaskModeEnhanced)
	DefaultVerifyMode           = string(dstypes.VerifyModeOnlyFilesTransferred)
	DefaultOverwriteMode        = string(dstypes.OverwriteModeAlways)
	DefaultTransferMode         = string(dstypes.TransferModeChanged)
	DefaultPreserveDeletedFiles = string(dstypes.PreserveDeletedFilesPreserve)
	DefaultObjectTags           = string(dstypes.ObjectTagsPreserve)
	DefaultLogLevel             = string(dstypes.LogLevelBasic)
	DefaultLogRetentionDays     = 30
	DefaultReportLevel          = string(dstypes.ReportLevelErrorsOnly)
	DefaultStorageClass         = string(dstypes.S3StorageClassStandard)
)

// WithDefaults returns a copy of t with every unset optional field set to its
// default. It never modifies t.
func (t Transfer) WithDefaults() Transfer {
	out := t
	out.Task.Includes = append([]string(nil), t.Task.Includes...)
	out.Task.Excludes = append([]string(nil), t.Task.Excludes...)
	if t.Task.Report != nil {
		r := *t.Task.Report
		if r.Level == "" {
			r.Level = DefaultReportLevel
		}
		out.Task.Report = &r
	}
	out.Monitoring = t.Monitoring.withDefaults()
	setDefault(&out.Destination.StorageClass, DefaultStorageClass)
	task := &out.Task
	setDefault(&task.Mode, DefaultMode)
	setDefault(&task.VerifyMode, DefaultVerifyMode)
	setDefault(&task.OverwriteMode, DefaultOverwriteMode)
	setDefault(&task.TransferMode, DefaultTransferMode)
	setDefault(&task.PreserveDeletedFiles, DefaultPreserveDeletedFiles)
	setDefault(&task.ObjectTags, DefaultObjectTags)
	setDefault(&task.LogLevel, DefaultLogLevel)
	if task.LogRetentionDays == 0 {
		task.LogRetentionDays = DefaultLogRetentionDays
	}
	if task.BytesPerSecond == 0 {
		task.BytesPerSecond = -1
	}
	return out
}

func setDefault(field *string, value string) {
	if *field == "" {
		*field = value
	}
}

// CrossRegion reports whether the source bucket is in another Region than the
// destination bucket.
func (t Transfer) CrossRegion() bool { return t.Source.Region != t.Destination.Region }

// Partition is the AWS partition of the destination Region ("aws" when unknown).
func (t Transfer) Partition() string {
	if f, ok := knownRegions[t.Destination.Region]; ok {
		return f.Partition
	}
	return "aws"
}

// Names derived from the transfer name. They are documented in the README and are
// an interface: the destination bucket policy names the two roles before they exist.

// BucketAccessRoleName is the name of the role DataSync assumes to read the source
// bucket and write the destination bucket: datasync-<name>-bucket-access.
func (t Transfer) BucketAccessRoleName() string { return "datasync-" + t.Name + "-bucket-access" }

// LocationAdminRoleName is the name of the custom-resource Lambda's execution role,
// which creates the locations and the task: datasync-<name>-location-admin.
func (t Transfer) LocationAdminRoleName() string {
	return "datasync-" + t.Name + "-location-admin"
}

// RoleArn is the ARN of a role in the source account.
func (t Transfer) RoleArn(roleName string) string {
	return fmt.Sprintf("arn:%s:iam::%s:role/%s", t.Partition(), t.Source.Account, roleName)
}

// ProviderFunctionName is the source stack's custom-resource Lambda:
// datasync-<name>-provider.
func (t Transfer) ProviderFunctionName() string { return "datasync-" + t.Name + "-provider" }

// LogGroupName is the BASIC-mode log group: /aws/datasync/<name>.
func (t Transfer) LogGroupName() string { return "/aws/datasync/" + t.Name }

// KeyAlias is the alias of the KMS key the destination stack creates for the
// destination bucket (CreateKmsKey): see DestinationKeyAlias.
func (t Transfer) KeyAlias() string { return DestinationKeyAlias(t.Destination.Bucket) }

// TaskName is the DataSync task's name.
func (t Transfer) TaskName() string { return t.Name }
