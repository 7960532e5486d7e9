package transfer

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/s3transfer/cdk-datasync/constructs/provider/resource"
	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

// DestinationAccessProps configure the destination side of the transfers into one
// bucket.
type DestinationAccessProps struct {
	// Transfer is the one transfer into the bucket; it is validated here. Give either
	// Transfer or Transfers.
	Transfer *spec.Transfer
	// Transfers are every transfer into the bucket: they name the same destination
	// bucket and agree on its settings (account, Region, createBucket, createKmsKey,
	// kmsKeyArn); each is validated here. One DestinationAccess must hold all of them,
	// since its one resource owns this project's statements in the bucket's policy.
	// Give either Transfer or Transfers.
	Transfers []spec.Transfer
	// Bucket is the destination bucket, when the stack already has it: a bucket this
	// app defines (its bucketName must be the transfers' destination.bucket; its ACLs
	// are disabled and our statements go into its policy) or an imported one.
	// Default: a new bucket when destination.createBucket is true, otherwise the
	// existing bucket destination.bucket imported by name.
	Bucket awss3.IBucket
	// EncryptionKey is the destination bucket's KMS key. A key this app defines gets a
	// key-policy statement for the bucket-access roles; for any other key the statement
	// is exposed by RequiredKeyPolicyStatement for its owner to add.
	// Default: a new key when destination.createKmsKey is true, otherwise the key
	// destination.kmsKeyArn, otherwise none.
	EncryptionKey awskms.IKey
	// RemovalPolicy applies to the bucket and key this construct creates.
	// Default: RETAIN (data is never deleted with the stack).
	RemovalPolicy awscdk.RemovalPolicy
	// RemoveDeletedPrincipals lets the provider remove, from an existing bucket's
	// policy, the unique IDs of deleted IAM roles and users in statements that are not
	// this project's (see spec.Destination.RemoveDeletedPrincipals). Only for a bucket
	// the app does not define. Default: the transfers' destination.removeDeletedPrincipals.
	RemoveDeletedPrincipals bool
}

// DestinationAccess is the destination account's part of the transfers into one
// bucket: the bucket with ACLs disabled and a policy that lets each source account's
// bucket-access role (the twelve S3 actions of DataSync's destination permissions, objects limited to the
// transfer's prefix) and location-admin role (listing the bucket, for the location
// access test) in.
type DestinationAccess interface {
	constructs.Construct
	// Bucket is the destination bucket.
	Bucket() awss3.IBucket
	// EncryptionKey is the bucket's KMS key, or nil.
	EncryptionKey() awskms.IKey
	// BucketPolicyStatements are this project's statements in the bucket policy, as a
	// JSON array of IAM policy statements.
	BucketPolicyStatements() string
	// BucketPolicyBytes is the size of a policy holding only BucketPolicyStatements
	// (and the TLS deny of a bucket the construct creates), checked at synth time
	// against BucketPolicyBudget.
	BucketPolicyBytes() int
	// RequiredKeyPolicyStatement is the statement (IAM policy JSON) the owner of a KMS
	// key this app does not define must add to its key policy, or "" when nothing is to
	// be added.
	RequiredKeyPolicyStatement() string
}

type destinationAccess struct {
	constructs.Construct
	bucket      awss3.IBucket
	key         awskms.IKey
	statements  []spec.Statement
	policyBytes int
	keyStmtTodo string
}

func (d *destinationAccess) Bucket() awss3.IBucket              { return d.bucket }
func (d *destinationAccess) EncryptionKey() awskms.IKey         { return d.key }
func (d *destinationAccess) BucketPolicyStatements() string     { return mustJSON(d.statements) }
func (d *destinationAccess) BucketPolicyBytes() int             { return d.policyBytes }
func (d *destinationAccess) RequiredKeyPolicyStatement() string { return d.keyStmtTodo }

// NewDestinationAccess adds the destination side of the transfers into one bucket to
// scope, which must be in the destination account.
func NewDestinationAccess(scope constructs.Construct, id string, props *DestinationAccessProps) DestinationAccess {
	if props == nil {
		props = &DestinationAccessProps{}
	}
	return newDestinationAccess(scope, id, destinationBucket(props.Transfer, props.Transfers), props)
}

// newDestinationAccess is NewDestinationAccess for transfers already validated and
// grouped into their bucket b.
func newDestinationAccess(scope constructs.Construct, id string, b spec.DestinationBucket, props *DestinationAccessProps) DestinationAccess {
	d := &destinationAccess{}
	constructs.NewConstruct_Override(d, scope, &id)
	this := d.Construct
	// The construct's address (a hash of its path) makes its Sids its own.
	b.Owner = strings.ToUpper((*this.Node().Addr())[2 : 2+spec.OwnerTokenLength])
	d.statements = b.BucketPolicyStatements()
	d.policyBytes = len(spec.PolicyDocument(b.OwnedPolicyStatements()))
	removal := props.RemovalPolicy
	if removal == "" {
		removal = awscdk.RemovalPolicy_RETAIN
	}

	d.key = props.EncryptionKey
	switch {
	case d.key != nil:
	case b.CreateKmsKey:
		d.key = awskms.NewKey(this, jsii.String("Key"), &awskms.KeyProps{
			Description:       jsii.String(fmt.Sprintf("Encrypts s3://%s (DataSync transfers into it)", b.Name)),
			EnableKeyRotation: jsii.Bool(true),
			Alias:             jsii.String(b.KeyAlias()),
			RemovalPolicy:     removal,
		})
	case b.KmsKeyArn != "":
		d.key = awskms.Key_FromKeyArn(this, jsii.String("ImportedKey"), jsii.String(b.KmsKeyArn))
	}

	b.RemoveDeletedPrincipals = b.RemoveDeletedPrincipals || props.RemoveDeletedPrincipals
	owned := false
	d.bucket = props.Bucket
	switch {
	case d.bucket != nil:
		owned = *awscdk.Resource_IsOwnedResource(d.bucket)
		if owned {
			enforceOwnedBucket(d.bucket, b.Name)
			d.bucket.AddToResourcePolicy(cdkStatement(b.DenyInsecureTransportStatement()))
		}
	case b.Create:
		d.bucket = newDestinationBucket(this, b, d.key, removal)
		owned = true
	default:
		d.bucket = awss3.Bucket_FromBucketAttributes(this, jsii.String("Bucket"), &awss3.BucketAttributes{
			BucketName: jsii.String(b.Name),
			Account:    jsii.String(b.Account),
			Region:     jsii.String(b.Region),
		})
	}

	if owned && b.RemoveDeletedPrincipals {
		panic(fmt.Sprintf("transfer: RemoveDeletedPrincipals (destination.removeDeletedPrincipals): true applies only to a bucket the app does not define, "+
			"and bucket %q is defined by this app (its policy is the app's own and holds only this project's statements): leave it false", b.Name))
	}
	if owned {
		for _, s := range d.statements {
			d.bucket.AddToResourcePolicy(cdkStatement(s))
		}
	} else {
		newExistingBucketAccess(this, b, d.statements)
	}

	if d.key != nil {
		keyStmt := b.KeyPolicyStatement()
		if *awscdk.Resource_IsOwnedResource(d.key) {
			d.key.AddToResourcePolicy(cdkStatement(keyStmt), jsii.Bool(false))
		} else {
			d.keyStmtTodo = mustJSON(keyStmt)
		}
	}
	return d
}

// destinationBucket validates the transfers given to a destination construct (one,
// or several into one bucket) and returns their bucket, or panics with every problem.
func destinationBucket(one *spec.Transfer, several []spec.Transfer) spec.DestinationBucket {
	ts := several
	switch {
	case one != nil && len(several) > 0:
		panic("transfer: give either Transfer or Transfers, not both")
	case one != nil:
		ts = []spec.Transfer{*one}
	case len(several) == 0:
		panic("transfer: Transfer (or Transfers) is required")
	}
	validatedSet(ts)
	groups := spec.GroupDestinations(ts)
	if len(groups) != 1 {
		names := make([]string, len(groups))
		for i, g := range groups {
			names[i] = g.Name
		}
		panic(fmt.Sprintf("transfer: the transfers of one destination construct must write to one bucket, these write to %d: %s "+
			"(make one construct or stack per bucket, e.g. with NewStacks)", len(groups), strings.Join(names, ", ")))
	}
	return groups[0]
}

// newDestinationBucket creates the destination bucket: ACLs disabled, public access
// blocked, encrypted, TLS only, versioned, retained with the stack.
func newDestinationBucket(scope constructs.Construct, b spec.DestinationBucket, key awskms.IKey, removal awscdk.RemovalPolicy) awss3.Bucket {
	props := &awss3.BucketProps{
		BucketName:        jsii.String(b.Name),
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
	if days := b.NoncurrentVersionExpirationDays; days > 0 {
		*props.LifecycleRules = append(*props.LifecycleRules, &awss3.LifecycleRule{
			Id:                          jsii.String("ExpireNoncurrentVersions"),
			NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(float64(days))),
		})
	}
	if key != nil {
		props.Encryption = awss3.BucketEncryption_KMS
		props.EncryptionKey = key
		props.BucketKeyEnabled = jsii.Bool(true)
	}
	bucket := awss3.NewBucket(scope, jsii.String("Bucket"), props)
	suppress(bucket, "AwsSolutions-S1", "Server access logs need a separate log bucket chosen by the account's owners; "+
		"the destination bucket's data events belong in their CloudTrail. Pass your own bucket (DestinationAccessProps.Bucket) to configure logging.")
	return bucket
}

// enforceOwnedBucket checks that a bucket the app defines is the transfers' bucket
// and disables its ACLs, as the tutorial requires.
func enforceOwnedBucket(b awss3.IBucket, want string) {
	cfn, ok := b.Node().DefaultChild().(awss3.CfnBucket)
	if !ok {
		panic(fmt.Sprintf("transfer: Bucket %s is owned by the app but has no AWS::S3::Bucket resource", *b.Node().Path()))
	}
	// BucketName is a token even when unset; resolved, it is nil, the name, or a
	// reference (e.g. to a parameter) that cannot be checked here.
	resolved := awscdk.Stack_Of(b).Resolve(cfn.BucketName())
	name, literal := resolved.(string)
	if resolved == nil || (literal && name != want) {
		got := "no bucketName"
		if literal {
			got = fmt.Sprintf("bucketName %q", name)
		}
		panic(fmt.Sprintf("transfer: Bucket %s has %s but destination.bucket is %q: the source account's stacks name the bucket by "+
			"destination.bucket, so give the bucket that physical name", *b.Node().Path(), got, want))
	}
	cfn.SetOwnershipControls(&awss3.CfnBucket_OwnershipControlsProperty{
		Rules: &[]interface{}{&awss3.CfnBucket_OwnershipControlsRuleProperty{ObjectOwnership: jsii.String("BucketOwnerEnforced")}},
	})
}

// newExistingBucketAccess disables ACLs on, and merges statements into the policy
// of, a bucket the stack does not own, through the provider. An
// AWS::S3::BucketPolicy would replace the whole policy and drop other teams'
// statements. One resource holds the statements of every transfer into the bucket.
func newExistingBucketAccess(scope constructs.Construct, b spec.DestinationBucket, statements []spec.Statement) {
	arn := b.Arn()
	logs := newProviderLogs(scope, "Provider", "")
	permissions := &inlinePolicy{}
	permissions.allowLogs(logs)
	permissions.allow(destinationProviderActions(), []string{arn}, nil)
	role := newRole(scope, "ProviderRole", awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String(fmt.Sprintf("Disables ACLs on and merges the bucket policy of s3://%s for DataSync transfers", b.Name)),
	}, "Provider", permissions, fmt.Sprintf("destination bucket %q", b.Name))
	fn := newProviderFunction(scope, "Provider", role, logs, "", "destination s3://"+b.Name)

	ownership := awscdk.NewCustomResource(scope, jsii.String("OwnershipControls"), &awscdk.CustomResourceProps{
		ServiceToken: fn.FunctionArn(),
		ResourceType: jsii.String(resource.TypeOwnershipControls),
		Properties:   toProps(resource.OwnershipControlsProps{Region: b.Region, Bucket: b.Name}),
	})
	policy := awscdk.NewCustomResource(scope, jsii.String("BucketPolicyStatements"), &awscdk.CustomResourceProps{
		ServiceToken: fn.FunctionArn(),
		ResourceType: jsii.String(resource.TypeBucketPolicyStatements),
		Properties: toProps(resource.BucketPolicyStatementsProps{
			Region: b.Region, Bucket: b.Name, Statements: mustJSON(statements),
			RemoveDeletedPrincipals: map[bool]string{true: "true"}[b.RemoveDeletedPrincipals],
		}),
	})
	policy.Node().AddDependency(ownership)
}

// destinationProviderActions are every action the destination provider calls, for
// any request on its resource types (resource.RequiredActions): all on the bucket.
func destinationProviderActions() []string {
	return providerActions([]string{resource.TypeOwnershipControls, resource.TypeBucketPolicyStatements},
		resource.Create, resource.Update, resource.Delete)
}

// providerActions are the actions the provider calls for the request types on the
// resource types (resource.RequiredActions), sorted, each once.
func providerActions(types []string, requests ...resource.Request) []string {
	var out []string
	for _, typ := range types {
		for _, req := range requests {
			out = append(out, resource.RequiredActions(typ, req)...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// cdkStatement renders a statement for a policy the app owns, exactly as computed
// (the size checked at synth time is the size deployed).
func cdkStatement(s spec.Statement) awsiam.PolicyStatement {
	var obj map[string]interface{}
	if err := json.Unmarshal([]byte(mustJSON(s)), &obj); err != nil {
		panic(err)
	}
	return awsiam.PolicyStatement_FromJson(obj)
}

func toProps(p any) *map[string]interface{} {
	m := resource.ToProperties(p)
	return &m
}
