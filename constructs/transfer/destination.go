package transfer

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/s3transfer/cdk-datasync/constructs/provider"
	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

// DestinationAccessProps configure the destination side of a transfer.
type DestinationAccessProps struct {
	// Transfer describes the transfer; it is validated here. Required.
	Transfer *spec.Transfer
	// Bucket is the destination bucket, when the stack already has it: a bucket this
	// app defines (its bucketName must be Transfer.Destination.Bucket; its ACLs are
	// disabled and our statements go into its policy) or an imported one.
	// Default: a new bucket when Transfer.Destination.CreateBucket is true, otherwise
	// the existing bucket Transfer.Destination.Bucket imported by name.
	Bucket awss3.IBucket
	// EncryptionKey is the destination bucket's KMS key. A key this app defines gets a
	// key-policy statement for the bucket-access role; for any other key the statement
	// is exposed by RequiredKeyPolicyStatement for its owner to add.
	// Default: a new key when Transfer.Destination.CreateKmsKey is true, otherwise the
	// key Transfer.Destination.KmsKeyArn, otherwise none.
	EncryptionKey awskms.IKey
	// RemovalPolicy applies to the bucket and key this construct creates.
	// Default: RETAIN (data is never deleted with the stack).
	RemovalPolicy awscdk.RemovalPolicy
}

// DestinationAccess is the destination account's part of a transfer: the bucket with
// ACLs disabled and a policy that lets the source account's bucket-access role (the
// tutorial's ten S3 actions) and location-admin role (s3:ListBucket, for the location
// access test) in.
type DestinationAccess interface {
	constructs.Construct
	// Bucket is the destination bucket.
	Bucket() awss3.IBucket
	// EncryptionKey is the bucket's KMS key, or nil.
	EncryptionKey() awskms.IKey
	// BucketPolicyStatements are this transfer's statements in the bucket policy, as
	// IAM policy JSON.
	BucketPolicyStatements() string
	// RequiredKeyPolicyStatement is the statement (IAM policy JSON) the owner of a KMS
	// key this app does not define must add to its key policy, or "" when nothing is to
	// be added.
	RequiredKeyPolicyStatement() string
}

type destinationAccess struct {
	constructs.Construct
	bucket      awss3.IBucket
	key         awskms.IKey
	statements  []roleStatement
	keyStmtTodo string
}

func (d *destinationAccess) Bucket() awss3.IBucket              { return d.bucket }
func (d *destinationAccess) EncryptionKey() awskms.IKey         { return d.key }
func (d *destinationAccess) BucketPolicyStatements() string     { return mustJSON(d.statements) }
func (d *destinationAccess) RequiredKeyPolicyStatement() string { return d.keyStmtTodo }

// NewDestinationAccess adds the destination side of a transfer to scope, which must
// be in the destination account.
func NewDestinationAccess(scope constructs.Construct, id string, props *DestinationAccessProps) DestinationAccess {
	if props == nil {
		props = &DestinationAccessProps{}
	}
	t := validated(props.Transfer)
	d := &destinationAccess{}
	constructs.NewConstruct_Override(d, scope, &id)
	this := d.Construct
	removal := props.RemovalPolicy
	if removal == "" {
		removal = awscdk.RemovalPolicy_RETAIN
	}

	d.key = props.EncryptionKey
	switch {
	case d.key != nil:
	case t.Destination.CreateKmsKey:
		d.key = awskms.NewKey(this, jsii.String("Key"), &awskms.KeyProps{
			Description:       jsii.String(fmt.Sprintf("Encrypts s3://%s (DataSync transfer %s)", t.Destination.Bucket, t.Name)),
			EnableKeyRotation: jsii.Bool(true),
			Alias:             jsii.String(t.KeyAlias()),
			RemovalPolicy:     removal,
		})
	case t.Destination.KmsKeyArn != "":
		d.key = awskms.Key_FromKeyArn(this, jsii.String("ImportedKey"), jsii.String(t.Destination.KmsKeyArn))
	}

	owned := false
	d.bucket = props.Bucket
	switch {
	case d.bucket != nil:
		owned = *awscdk.Resource_IsOwnedResource(d.bucket)
		if owned {
			enforceOwnedBucket(d.bucket, t)
			d.bucket.AddToResourcePolicy(denyInsecureTransport(t))
		}
	case t.Destination.CreateBucket:
		d.bucket = newDestinationBucket(this, t, d.key, removal)
		owned = true
	default:
		d.bucket = awss3.Bucket_FromBucketAttributes(this, jsii.String("Bucket"), &awss3.BucketAttributes{
			BucketName: jsii.String(t.Destination.Bucket),
			Account:    jsii.String(t.Destination.Account),
			Region:     jsii.String(t.Destination.Region),
		})
	}

	arn := bucketArn(t, t.Destination.Bucket)
	d.statements = []roleStatement{
		sourceRoleStatement(t, sidBucketAccess, t.BucketAccessRoleName(), destinationBucketActions, []string{arn, arn + "/*"}),
		// The location access test runs s3:HeadBucket as the caller of
		// CreateLocationS3, which needs s3:ListBucket (hashicorp/terraform-provider-aws#21974).
		sourceRoleStatement(t, sidLocationAdmin, t.LocationAdminRoleName(), []string{"s3:ListBucket"}, []string{arn}),
	}
	if owned {
		for _, s := range d.statements {
			d.bucket.AddToResourcePolicy(s.cdk())
		}
	} else {
		newExistingBucketAccess(this, t, d.statements)
	}

	if d.key != nil {
		keyStmt := sourceRoleStatement(t, sidKeyAccess, t.BucketAccessRoleName(), destinationKeyActions, []string{"*"})
		if *awscdk.Resource_IsOwnedResource(d.key) {
			d.key.AddToResourcePolicy(keyStmt.cdk(), jsii.Bool(false))
		} else {
			d.keyStmtTodo = mustJSON(keyStmt)
		}
	}
	return d
}

// newDestinationBucket creates the destination bucket: ACLs disabled, public access
// blocked, encrypted, TLS only, versioned, retained with the stack.
func newDestinationBucket(scope constructs.Construct, t spec.Transfer, key awskms.IKey, removal awscdk.RemovalPolicy) awss3.Bucket {
	props := &awss3.BucketProps{
		BucketName:        jsii.String(t.Destination.Bucket),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		Versioned:         jsii.Bool(true),
		RemovalPolicy:     removal,
		// DataSync uploads in parts; parts of interrupted uploads cost money forever.
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                                  jsii.String("AbortIncompleteMultipartUploads"),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(7)),
		}},
	}
	if key != nil {
		props.Encryption = awss3.BucketEncryption_KMS
		props.EncryptionKey = key
		props.BucketKeyEnabled = jsii.Bool(true)
	}
	b := awss3.NewBucket(scope, jsii.String("Bucket"), props)
	suppress(b, "AwsSolutions-S1", "Server access logs need a separate log bucket chosen by the account's owners; "+
		"the destination bucket's data events belong in their CloudTrail. Pass your own bucket (DestinationAccessProps.Bucket) to configure logging.")
	return b
}

// enforceOwnedBucket checks that a bucket the app defines is the transfer's bucket
// and disables its ACLs, as the tutorial requires.
func enforceOwnedBucket(b awss3.IBucket, t spec.Transfer) {
	cfn, ok := b.Node().DefaultChild().(awss3.CfnBucket)
	if !ok {
		panic(fmt.Sprintf("transfer %q: Bucket is owned by the app but has no AWS::S3::Bucket resource", t.Name))
	}
	// BucketName is a token even when unset; resolved, it is nil, the name, or a
	// reference (e.g. to a parameter) that cannot be checked here.
	resolved := awscdk.Stack_Of(b).Resolve(cfn.BucketName())
	name, literal := resolved.(string)
	if resolved == nil || (literal && name != t.Destination.Bucket) {
		got := "no bucketName"
		if literal {
			got = fmt.Sprintf("bucketName %q", name)
		}
		panic(fmt.Sprintf("transfer %q: Bucket has %s but destination.bucket is %q: the source account's stack names the bucket by "+
			"destination.bucket, so give the bucket that physical name", t.Name, got, t.Destination.Bucket))
	}
	cfn.SetOwnershipControls(&awss3.CfnBucket_OwnershipControlsProperty{
		Rules: &[]interface{}{&awss3.CfnBucket_OwnershipControlsRuleProperty{ObjectOwnership: jsii.String("BucketOwnerEnforced")}},
	})
}

// newExistingBucketAccess disables ACLs on, and merges statements into the policy
// of, a bucket the stack does not own, through the provider. An
// AWS::S3::BucketPolicy would replace the whole policy and drop other teams'
// statements.
func newExistingBucketAccess(scope constructs.Construct, t spec.Transfer, statements []roleStatement) {
	arn := bucketArn(t, t.Destination.Bucket)
	role := awsiam.NewRole(scope, jsii.String("ProviderRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String(fmt.Sprintf("Disables ACLs on and merges the bucket policy of s3://%s for DataSync transfer %s", t.Destination.Bucket, t.Name)),
	})
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("s3:PutBucketOwnershipControls", "s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"),
		Resources: jsii.Strings(arn),
	}))
	fn := newProviderFunction(scope, "Provider", role, "", t.Name+" destination")

	ownership := awscdk.NewCustomResource(scope, jsii.String("OwnershipControls"), &awscdk.CustomResourceProps{
		ServiceToken: fn.FunctionArn(),
		ResourceType: jsii.String(provider.TypeOwnershipControls),
		Properties: toProps(provider.OwnershipControlsProps{
			Region: t.Destination.Region, Bucket: t.Destination.Bucket,
		}),
	})
	policy := awscdk.NewCustomResource(scope, jsii.String("BucketPolicyStatements"), &awscdk.CustomResourceProps{
		ServiceToken: fn.FunctionArn(),
		ResourceType: jsii.String(provider.TypeBucketPolicyStatements),
		Properties: toProps(provider.BucketPolicyStatementsProps{
			Region: t.Destination.Region, Bucket: t.Destination.Bucket,
			Statements: mustJSON(statements),
		}),
	})
	policy.Node().AddDependency(ownership)
}

// denyInsecureTransport denies requests without TLS on a bucket the app owns (a
// bucket this construct creates has it through enforceSSL).
func denyInsecureTransport(t spec.Transfer) awsiam.PolicyStatement {
	arn := bucketArn(t, t.Destination.Bucket)
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String(t.StatementSid("DenyInsecureTransport")),
		Effect:     awsiam.Effect_DENY,
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("s3:*"),
		Resources:  jsii.Strings(arn, arn+"/*"),
		Conditions: &map[string]interface{}{"Bool": map[string]interface{}{"aws:SecureTransport": "false"}},
	})
}

func toProps(p any) *map[string]interface{} {
	m := provider.ToProperties(p)
	return &m
}
