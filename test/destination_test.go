package test

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/s3transfer/cdk-datasync/constructs/spec"
	"github.com/s3transfer/cdk-datasync/constructs/transfer"
)

// The ten S3 actions of the tutorial's destination bucket policy.
var tutorialActions = []string{
	"s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetBucketLocation", "s3:GetObject", "s3:GetObjectTagging",
	"s3:ListBucket", "s3:ListBucketMultipartUploads", "s3:ListMultipartUploadParts", "s3:PutObject", "s3:PutObjectTagging",
}

func destinationStack(t *testing.T, tr spec.Transfer) (awscdk.Stack, tmpl) {
	t.Helper()
	app := newApp(t, false)
	s := transfer.NewDestinationStack(app, "Dst", &transfer.DestinationStackProps{Transfer: &tr})
	return s, toJSON(s)
}

// mergedStatements reads the statements the provider merges into an existing bucket's policy.
func mergedStatements(t *testing.T, tm tmpl) map[string]map[string]any {
	t.Helper()
	props := tm.one(t, "Custom::S3BucketPolicyStatements")
	var stmts []map[string]any
	if err := json.Unmarshal([]byte(props["Statements"].(string)), &stmts); err != nil {
		t.Fatalf("Statements is not a JSON array: %v", err)
	}
	bySid := map[string]map[string]any{}
	for _, s := range stmts {
		bySid[s["Sid"].(string)] = s
	}
	return bySid
}

func TestExistingBucketGetsOwnershipAndMergedStatementsNeverABucketPolicy(t *testing.T) {
	tr := crossRegion()
	_, tm := destinationStack(t, tr)

	if n := len(tm.resources("AWS::S3::BucketPolicy")) + len(tm.resources("AWS::S3::Bucket")); n != 0 {
		t.Fatalf("stack owns %d bucket or bucket-policy resources for a bucket it does not own", n)
	}
	own := tm.one(t, "Custom::S3OwnershipControls")
	if own["Bucket"] != "acme-media-dst" || own["Region"] != "us-west-2" {
		t.Errorf("ownership controls = %v", own)
	}

	stmts := mergedStatements(t, tm)
	access := stmts["DataSyncBucketAccessTransfermediaXarchive"]
	admin := stmts["DataSyncLocationAdminTransfermediaXarchive"]
	if access == nil || admin == nil || len(stmts) != 2 {
		t.Fatalf("statements = %v", stmts)
	}
	actions := strs(access["Action"])
	sort.Strings(actions)
	if strings.Join(actions, " ") != strings.Join(tutorialActions, " ") {
		t.Errorf("bucket-access actions = %v, want the tutorial's ten", actions)
	}
	if got := strs(access["Resource"]); !contains(got, "arn:aws:s3:::acme-media-dst") || !contains(got, "arn:aws:s3:::acme-media-dst/*") {
		t.Errorf("bucket-access resources = %v", got)
	}
	if got := strs(admin["Action"]); len(got) != 1 || got[0] != "s3:ListBucket" {
		t.Errorf("location-admin actions = %v", got)
	}
	// Principal: the source account, narrowed to the exact role by aws:PrincipalArn.
	for sid, s := range stmts {
		principal := s["Principal"].(map[string]any)["AWS"]
		if principal != "arn:aws:iam::111111111111:root" {
			t.Errorf("%s principal = %v", sid, principal)
		}
	}
	wantRole := map[string]string{
		"DataSyncBucketAccessTransfermediaXarchive":  "arn:aws:iam::111111111111:role/datasync-media-archive-bucket-access",
		"DataSyncLocationAdminTransfermediaXarchive": "arn:aws:iam::111111111111:role/datasync-media-archive-location-admin",
	}
	for sid, role := range wantRole {
		cond := stmts[sid]["Condition"].(map[string]any)["ArnEquals"].(map[string]any)["aws:PrincipalArn"]
		if cond != role {
			t.Errorf("%s aws:PrincipalArn = %v, want %s", sid, cond, role)
		}
	}
	// The destination provider may touch exactly this bucket's ownership and policy.
	for _, a := range []string{"s3:PutBucketOwnershipControls", "s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"} {
		if got := tm.grants(a); len(got) != 1 || got[0] != "arn:aws:s3:::acme-media-dst" {
			t.Errorf("%s granted on %v", a, got)
		}
	}
}

func TestNewBucketIsLockedDownAndRetained(t *testing.T) {
	tr := sameRegion()
	tr.Destination.CreateBucket = true
	stack, tm := destinationStack(t, tr)
	template := templateOf(stack)

	template.HasResource(jsii.String("AWS::S3::Bucket"), map[string]interface{}{
		"DeletionPolicy":      "Retain",
		"UpdateReplacePolicy": "Retain",
		"Properties": map[string]interface{}{
			"BucketName":        "acme-logs-dst",
			"OwnershipControls": map[string]interface{}{"Rules": []interface{}{map[string]interface{}{"ObjectOwnership": "BucketOwnerEnforced"}}},
			"PublicAccessBlockConfiguration": map[string]interface{}{
				"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
			},
			"BucketEncryption": assertions.Match_ObjectLike(&map[string]interface{}{
				"ServerSideEncryptionConfiguration": []interface{}{map[string]interface{}{
					"ServerSideEncryptionByDefault": map[string]interface{}{"SSEAlgorithm": "AES256"},
				}},
			}),
			"VersioningConfiguration": map[string]interface{}{"Status": "Enabled"},
		},
	})
	if len(tm.resources("Custom::S3BucketPolicyStatements")) != 0 || len(tm.resources("AWS::Lambda::Function")) != 0 {
		t.Error("a bucket the stack owns needs no provider")
	}
	policy := tm.one(t, "AWS::S3::BucketPolicy")["PolicyDocument"].(map[string]any)
	var sids []string
	tlsDenied := false
	for _, s := range policy["Statement"].([]any) {
		st := s.(map[string]any)
		if sid, ok := st["Sid"].(string); ok {
			sids = append(sids, sid)
		}
		if st["Effect"] == "Deny" && strings.Contains(toString(st["Condition"]), "aws:SecureTransport") {
			tlsDenied = true
		}
	}
	if !contains(sids, tr.StatementSid("BucketAccess")) || !contains(sids, tr.StatementSid("LocationAdmin")) || !tlsDenied {
		t.Errorf("bucket policy = %v", toString(policy))
	}
}

func toString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestCreatedKeyLetsTheDataSyncRoleIn(t *testing.T) {
	tr := sameRegion()
	tr.Destination.CreateBucket, tr.Destination.CreateKmsKey = true, true
	stack, tm := destinationStack(t, tr)
	template := templateOf(stack)

	template.HasResource(jsii.String("AWS::KMS::Key"), map[string]interface{}{
		"DeletionPolicy": "Retain",
		"Properties":     assertions.Match_ObjectLike(&map[string]interface{}{"EnableKeyRotation": true}),
	})
	template.HasResourceProperties(jsii.String("AWS::KMS::Alias"), map[string]interface{}{"AliasName": "alias/datasync/logs-consolidation"})
	template.HasResourceProperties(jsii.String("AWS::S3::Bucket"), map[string]interface{}{
		"BucketEncryption": map[string]interface{}{"ServerSideEncryptionConfiguration": []interface{}{map[string]interface{}{
			"BucketKeyEnabled": true,
			"ServerSideEncryptionByDefault": map[string]interface{}{
				"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": assertions.Match_AnyValue(),
			},
		}}},
	})
	keyPolicy := toString(tm.one(t, "AWS::KMS::Key")["KeyPolicy"])
	for _, want := range []string{tr.StatementSid("KeyAccess"), "kms:GenerateDataKey", "kms:Decrypt", "arn:aws:iam::111111111111:root", "datasync-logs-consolidation-bucket-access"} {
		if !strings.Contains(keyPolicy, want) {
			t.Errorf("key policy lacks %q: %s", want, keyPolicy)
		}
	}
	if outputs, _ := tm["Outputs"].(map[string]any); outputs["RequiredKeyPolicyStatement"] != nil {
		t.Error("a key the stack owns needs no manual statement")
	}
}

func TestKeyTheStackDoesNotOwnIsDocumentedAsAnOutput(t *testing.T) {
	tr := crossRegion()
	tr.Destination.KmsKeyArn = "arn:aws:kms:us-west-2:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	stack, tm := destinationStack(t, tr)

	if len(tm.resources("AWS::KMS::Key")) != 0 {
		t.Fatal("the stack created a key it was not asked for")
	}
	out := toString(tm["Outputs"].(map[string]any)["RequiredKeyPolicyStatement"])
	for _, want := range []string{"kms:Encrypt", "kms:GenerateDataKey", "datasync-media-archive-bucket-access", "ArnEquals"} {
		if !strings.Contains(out, want) {
			t.Errorf("RequiredKeyPolicyStatement lacks %q: %s", want, out)
		}
	}
	_ = stack
}

func TestSeveralTransfersShareOneDestinationBucket(t *testing.T) {
	a, b := crossRegion(), crossRegion()
	b.Name, b.Destination.Prefix = "media-archive-2", "archive/other"
	_, ta := destinationStack(t, a)
	_, tb := destinationStack(t, b)
	for sid := range mergedStatements(t, ta) {
		if mergedStatements(t, tb)[sid] != nil {
			t.Errorf("Sid %s is used by both transfers: one would overwrite the other", sid)
		}
	}
}

func TestEmbeddedOwnedBucketGetsACLsDisabledAndStatements(t *testing.T) {
	tr := crossRegion()
	app := newApp(t, false)
	stack := awscdk.NewStack(app, jsii.String("Existing"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String("us-west-2")},
	})
	bucket := awss3.NewBucket(stack, jsii.String("Data"), &awss3.BucketProps{BucketName: jsii.String("acme-media-dst")})
	transfer.NewDestinationAccess(stack, "MediaArchive", &transfer.DestinationAccessProps{Transfer: &tr, Bucket: bucket})
	tm := toJSON(stack)

	templateOf(stack).HasResourceProperties(jsii.String("AWS::S3::Bucket"), map[string]interface{}{
		"OwnershipControls": map[string]interface{}{"Rules": []interface{}{map[string]interface{}{"ObjectOwnership": "BucketOwnerEnforced"}}},
	})
	policy := toString(tm.one(t, "AWS::S3::BucketPolicy"))
	for _, sid := range []string{"BucketAccess", "LocationAdmin", "DenyInsecureTransport"} {
		if !strings.Contains(policy, tr.StatementSid(sid)) {
			t.Errorf("bucket policy lacks %s", sid)
		}
	}
	if len(tm.resources("Custom::S3BucketPolicyStatements")) != 0 {
		t.Error("an owned bucket's policy is merged natively, not by the provider")
	}
}

func TestEmbeddedOwnedBucketMustCarryTheTransfersBucketName(t *testing.T) {
	tr := crossRegion()
	app := newApp(t, false)
	stack := awscdk.NewStack(app, jsii.String("Existing"), nil)
	bucket := awss3.NewBucket(stack, jsii.String("Data"), nil)
	msg := expectPanic(t, func() {
		transfer.NewDestinationAccess(stack, "MediaArchive", &transfer.DestinationAccessProps{Transfer: &tr, Bucket: bucket})
	})
	if !strings.Contains(msg, `destination.bucket is "acme-media-dst"`) {
		t.Errorf("panic = %s", msg)
	}
}

func TestEmbeddedBucketKnownOnlyByName(t *testing.T) {
	tr := crossRegion()
	app := newApp(t, false)
	stack := awscdk.NewStack(app, jsii.String("Existing"), nil)
	bucket := awss3.Bucket_FromBucketName(stack, jsii.String("Data"), jsii.String("acme-media-dst"))
	transfer.NewDestinationAccess(stack, "MediaArchive", &transfer.DestinationAccessProps{Transfer: &tr, Bucket: bucket})
	tm := toJSON(stack)
	if len(tm.resources("Custom::S3BucketPolicyStatements")) != 1 || len(tm.resources("AWS::S3::BucketPolicy")) != 0 {
		t.Error("an imported bucket's policy must be merged by the provider")
	}
}

func TestInvalidTransferPanicsWithEveryProblem(t *testing.T) {
	tr := crossRegion()
	tr.Source.Account, tr.Task.Mode = "123", "TURBO"
	app := newApp(t, false)
	msg := expectPanic(t, func() { transfer.NewTransferStacks(app, &tr) })
	if !strings.Contains(msg, `source.account: "123"`) || !strings.Contains(msg, `task.mode: "TURBO"`) {
		t.Errorf("panic = %s", msg)
	}
}
