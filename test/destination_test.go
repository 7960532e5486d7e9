package test

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/s3transfer/cdk-datasync/constructs/provider"
	"github.com/s3transfer/cdk-datasync/constructs/spec"
	"github.com/s3transfer/cdk-datasync/constructs/transfer"
)

// The twelve S3 actions of DataSync's current "Required permissions" for a destination
// location (the tutorial's earlier revision had ten, without the two version actions).
var tutorialActions = []string{
	"s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetBucketLocation", "s3:GetObject", "s3:GetObjectTagging",
	"s3:GetObjectVersion", "s3:GetObjectVersionTagging",
	"s3:ListBucket", "s3:ListBucketMultipartUploads", "s3:ListMultipartUploadParts", "s3:PutObject", "s3:PutObjectTagging",
}

func destinationStack(t *testing.T, tr spec.Transfer) (awscdk.Stack, tmpl) {
	t.Helper()
	app := newApp(t, false)
	s := transfer.NewDestinationStack(app, "Dst", &transfer.DestinationStackProps{Transfer: &tr})
	return s, toJSON(s)
}

// mergedStatements reads the statements the provider merges into an existing
// bucket's policy, by kind (spec.SidBucket, ...).
func mergedStatements(t *testing.T, tm tmpl) map[string]map[string]any {
	t.Helper()
	props := tm.one(t, "Custom::S3BucketPolicyStatements")
	var stmts []map[string]any
	if err := json.Unmarshal([]byte(props["Statements"].(string)), &stmts); err != nil {
		t.Fatalf("Statements is not a JSON array: %v", err)
	}
	byKind := map[string]map[string]any{}
	for _, s := range stmts {
		byKind[sidKind(t, s["Sid"].(string))] = s
	}
	return byKind
}

// sidKind is the kind of one of this project's Sids (DataSync<owner><kind>).
func sidKind(t *testing.T, sid string) string {
	t.Helper()
	m := regexp.MustCompile(`^DataSync[0-9A-F]{6}([A-Za-z0-9]+)$`).FindStringSubmatch(sid)
	if m == nil {
		t.Fatalf("Sid %q is not DataSync<owner><kind>", sid)
	}
	return m[1]
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
	bucket, objects := stmts[spec.SidBucket], stmts[spec.SidPrefix+"1"]
	if bucket == nil || objects == nil || len(stmts) != 2 {
		t.Fatalf("statements = %v", stmts)
	}
	// Together the twelve destination actions: bucket-level on the bucket, object-level
	// on the transfer's prefix only.
	actions := append(strs(bucket["Action"]), strs(objects["Action"])...)
	sort.Strings(actions)
	if strings.Join(actions, " ") != strings.Join(tutorialActions, " ") {
		t.Errorf("actions = %v, want DataSync's twelve", actions)
	}
	if got := strs(bucket["Resource"]); len(got) != 1 || got[0] != "arn:aws:s3:::acme-media-dst" {
		t.Errorf("bucket-level resources = %v", got)
	}
	if got := strs(objects["Resource"]); len(got) != 1 || got[0] != "arn:aws:s3:::acme-media-dst/archive/photos/*" {
		t.Errorf("object-level resources = %v, want the transfer's prefix", got)
	}
	// Principal: the source account, narrowed to the exact roles by aws:PrincipalArn.
	for sid, s := range stmts {
		if principal := s["Principal"].(map[string]any)["AWS"]; principal != "arn:aws:iam::111111111111:root" {
			t.Errorf("%s principal = %v", sid, principal)
		}
	}
	roles := func(s map[string]any) []string {
		return strs(s["Condition"].(map[string]any)["ArnEquals"].(map[string]any)["aws:PrincipalArn"])
	}
	access, admin := "arn:aws:iam::111111111111:role/datasync-media-archive-bucket-access", "arn:aws:iam::111111111111:role/datasync-media-archive-location-admin"
	if got := roles(bucket); len(got) != 2 || !contains(got, access) || !contains(got, admin) {
		t.Errorf("bucket-level roles = %v", got)
	}
	if got := roles(objects); len(got) != 1 || got[0] != access {
		t.Errorf("object-level roles = %v: only the bucket-access role writes", got)
	}
	// The destination provider may touch exactly this bucket's ownership and policy.
	for _, a := range []string{"s3:GetBucketOwnershipControls", "s3:GetBucketAcl", "s3:PutBucketOwnershipControls", "s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"} {
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
			sids = append(sids, sidKind(t, sid))
		}
		if st["Effect"] == "Deny" && strings.Contains(toString(st["Condition"]), "aws:SecureTransport") {
			tlsDenied = true
		}
	}
	if !contains(sids, spec.SidBucket) || !contains(sids, spec.SidPrefix+"1") || !tlsDenied {
		t.Errorf("bucket policy = %v", toString(policy))
	}
}

func toString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestNoncurrentVersionsOfACreatedBucketExpireOnlyWhenAsked(t *testing.T) {
	tr := sameRegion()
	tr.Destination.CreateBucket = true
	_, kept := destinationStack(t, tr)
	if rules := toString(kept.one(t, "AWS::S3::Bucket")["LifecycleConfiguration"]); strings.Contains(rules, "Noncurrent") {
		t.Errorf("noncurrent versions expire by default: %s", rules)
	}
	tr.Destination.NoncurrentVersionExpirationDays = 30
	_, expiring := destinationStack(t, tr)
	rules := toString(expiring.one(t, "AWS::S3::Bucket")["LifecycleConfiguration"])
	if !strings.Contains(rules, `"NoncurrentVersionExpiration":{"NoncurrentDays":30}`) || !strings.Contains(rules, "AbortIncompleteMultipartUploads") {
		t.Errorf("lifecycle rules = %s", rules)
	}
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
	template.HasResourceProperties(jsii.String("AWS::KMS::Alias"), map[string]interface{}{"AliasName": "alias/datasync/acme-logs-dst"})
	template.HasResourceProperties(jsii.String("AWS::S3::Bucket"), map[string]interface{}{
		"BucketEncryption": map[string]interface{}{"ServerSideEncryptionConfiguration": []interface{}{map[string]interface{}{
			"BucketKeyEnabled": true,
			"ServerSideEncryptionByDefault": map[string]interface{}{
				"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": assertions.Match_AnyValue(),
			},
		}}},
	})
	keyPolicy := toString(tm.one(t, "AWS::KMS::Key")["KeyPolicy"])
	for _, want := range []string{spec.SidKeyAccess, "kms:GenerateDataKey", "kms:Decrypt", "arn:aws:iam::111111111111:root", "datasync-logs-consolidation-bucket-access"} {
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

func TestTransfersIntoOneBucketShareOneDestinationStackAndOneStatementsResource(t *testing.T) {
	a, b, other := crossRegion(), crossRegion(), sameRegion()
	b.Name, b.Source.Account, b.Destination.Prefix = "media-archive-2", "333333333333", "archive/other"
	app := newApp(t, false)
	stacks := transfer.NewStacks(app, []spec.Transfer{a, other, b})

	if len(stacks.Destinations) != 2 || len(stacks.Sources) != 3 {
		t.Fatalf("%d destination and %d source stacks, want 2 and 3", len(stacks.Destinations), len(stacks.Sources))
	}
	shared := stacks.Destinations[0]
	if *shared.StackName() != "acme-media-dst-destination" {
		t.Errorf("shared bucket's stack is %s", *shared.StackName())
	}
	tm := toJSON(shared)
	if n := len(tm.resources("Custom::S3BucketPolicyStatements")); n != 1 {
		t.Fatalf("%d statements resources for one bucket: concurrent writers could drop each other's statements", n)
	}
	stmts := mergedStatements(t, tm)
	if len(stmts) != 3 || !strings.Contains(toString(stmts[spec.SidBucket]), "datasync-media-archive-2-location-admin") ||
		!strings.Contains(toString(stmts[spec.SidBucket]["Principal"]), "333333333333") {
		t.Errorf("statements = %v", toString(stmts))
	}
	for i, want := range []string{"acme-media-dst-destination", "acme-logs-dst-destination", "acme-media-dst-destination"} {
		deps := *stacks.Sources[i].Dependencies()
		if len(deps) != 1 || *deps[0].StackName() != want {
			t.Errorf("%s depends on %v, want %s", *stacks.Sources[i].StackName(), deps, want)
		}
	}
	// The size computed at synth time is the size of what the provider writes.
	doc := spec.PolicyDocument([]spec.Statement{})
	raw := tm.one(t, "Custom::S3BucketPolicyStatements")["Statements"].(string)
	size := len(doc) - len("[]") + len(raw) // the statements inside {"Version":...,"Statement":[...]}
	if got := shared.Access().BucketPolicyBytes(); got != size || size > spec.MaxBucketPolicyBytes-spec.ForeignPolicyReserveBytes {
		t.Errorf("BucketPolicyBytes = %d, the statements make a %d-byte policy", got, size)
	}
}

func TestTransfersThatDisagreeAboutABucketAreRejectedNamingBoth(t *testing.T) {
	a, b := crossRegion(), crossRegion()
	b.Name, b.Destination.CreateBucket = "media-archive-2", true
	app := newApp(t, false)
	msg := expectPanic(t, func() { transfer.NewStacks(app, []spec.Transfer{a, b}) })
	if !strings.Contains(msg, `transfers[1] ("media-archive-2").destination.createBucket: true disagrees with transfers[0] ("media-archive")`) {
		t.Errorf("panic = %s", msg)
	}
	msg = expectPanic(t, func() {
		transfer.NewDestinationAccess(awscdk.NewStack(app, jsii.String("S"), nil), "A", &transfer.DestinationAccessProps{Transfers: []spec.Transfer{crossRegion(), sameRegion()}})
	})
	if !strings.Contains(msg, "must write to one bucket, these write to 2: acme-media-dst, acme-logs-dst") {
		t.Errorf("panic = %s", msg)
	}
}

// stackWithOwnedBucket is a stack of the destination account that defines the
// bucket acme-media-dst itself.
func stackWithOwnedBucket(t *testing.T) (awscdk.Stack, awss3.Bucket) {
	app := newApp(t, false)
	stack := awscdk.NewStack(app, jsii.String("Existing"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String("us-west-2")},
	})
	return stack, awss3.NewBucket(stack, jsii.String("Data"), &awss3.BucketProps{BucketName: jsii.String("acme-media-dst")})
}

func TestEmbeddedOwnedBucketGetsACLsDisabledAndStatements(t *testing.T) {
	tr := crossRegion()
	stack, bucket := stackWithOwnedBucket(t)
	transfer.NewDestinationAccess(stack, "MediaArchive", &transfer.DestinationAccessProps{Transfer: &tr, Bucket: bucket})
	tm := toJSON(stack)

	templateOf(stack).HasResourceProperties(jsii.String("AWS::S3::Bucket"), map[string]interface{}{
		"OwnershipControls": map[string]interface{}{"Rules": []interface{}{map[string]interface{}{"ObjectOwnership": "BucketOwnerEnforced"}}},
	})
	policy := toString(tm.one(t, "AWS::S3::BucketPolicy"))
	for _, kind := range []string{spec.SidBucket, spec.SidPrefix + "1", spec.SidDenyInsecureTransport} {
		if !regexp.MustCompile(`"Sid":"DataSync[0-9A-F]{6}` + kind + `"`).MatchString(policy) {
			t.Errorf("bucket policy lacks %s", kind)
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
	if !strings.Contains(msg, `has no bucketName but destination.bucket is "acme-media-dst"`) {
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

func TestRemoveDeletedPrincipalsReachesTheProvider(t *testing.T) {
	tr := crossRegion()
	_, tm := destinationStack(t, tr)
	if v, set := tm.one(t, "Custom::S3BucketPolicyStatements")["RemoveDeletedPrincipals"]; set {
		t.Errorf("RemoveDeletedPrincipals = %v by default, want it absent (templates of existing users unchanged)", v)
	}
	tr.Destination.RemoveDeletedPrincipals = true
	_, tm = destinationStack(t, tr)
	if v := tm.one(t, "Custom::S3BucketPolicyStatements")["RemoveDeletedPrincipals"]; v != "true" {
		t.Errorf("RemoveDeletedPrincipals = %v, want \"true\"", v)
	}

	// The construct's own prop, for a bucket known only by name.
	app := newApp(t, false)
	stack := awscdk.NewStack(app, jsii.String("Existing"), nil)
	plain := crossRegion()
	transfer.NewDestinationAccess(stack, "MediaArchive", &transfer.DestinationAccessProps{Transfer: &plain, RemoveDeletedPrincipals: true,
		Bucket: awss3.Bucket_FromBucketName(stack, jsii.String("Data"), jsii.String("acme-media-dst"))})
	if v := toJSON(stack).one(t, "Custom::S3BucketPolicyStatements")["RemoveDeletedPrincipals"]; v != "true" {
		t.Errorf("DestinationAccessProps.RemoveDeletedPrincipals: property = %v", v)
	}
}

func TestRemoveDeletedPrincipalsRejectedForABucketTheAppDefines(t *testing.T) {
	tr := crossRegion()
	stack, bucket := stackWithOwnedBucket(t)
	msg := expectPanic(t, func() {
		transfer.NewDestinationAccess(stack, "MediaArchive", &transfer.DestinationAccessProps{Transfer: &tr, Bucket: bucket, RemoveDeletedPrincipals: true})
	})
	if !strings.Contains(msg, "RemoveDeletedPrincipals (destination.removeDeletedPrincipals): true applies only to a bucket the app does not define") ||
		!strings.Contains(msg, `"acme-media-dst"`) {
		t.Errorf("panic = %s", msg)
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

// TestSynthAndDeployCheckTheSameBucketPolicyLimit: the synth-time budget and the
// provider's check at deploy use one number, S3's.
func TestSynthAndDeployCheckTheSameBucketPolicyLimit(t *testing.T) {
	if spec.MaxBucketPolicyBytes != provider.MaxBucketPolicyBytes {
		t.Errorf("spec checks %d bytes, the provider %d", spec.MaxBucketPolicyBytes, provider.MaxBucketPolicyBytes)
	}
}
