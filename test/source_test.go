package test

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/s3transfer/cdk-datasync/constructs/spec"
	"github.com/s3transfer/cdk-datasync/constructs/transfer"
)

func sourceStack(t *testing.T, tr spec.Transfer) (transfer.SourceStack, tmpl) {
	t.Helper()
	app := newApp(t, false)
	s := transfer.NewSourceStack(app, "Src", &transfer.SourceStackProps{Transfer: &tr})
	return s, toJSON(s)
}

func TestSourceStackLivesInTheDestinationRegionAndPlacesEachObjectInItsRegion(t *testing.T) {
	stack, tm := sourceStack(t, crossRegion())
	if *stack.Account() != "111111111111" || *stack.Region() != "us-west-2" {
		t.Fatalf("source stack env = %s/%s, want the source account in the destination Region", *stack.Account(), *stack.Region())
	}
	regions := map[string]string{}
	for _, r := range tm.resources("Custom::DataSyncS3Location") {
		p := r["Properties"].(map[string]any)
		regions[p["S3BucketArn"].(string)] = p["Region"].(string)
	}
	if regions["arn:aws:s3:::acme-media-src"] != "us-east-1" || regions["arn:aws:s3:::acme-media-dst"] != "us-west-2" {
		t.Errorf("location Regions = %v", regions)
	}
	if task := tm.one(t, "Custom::DataSyncTask"); task["Region"] != "us-west-2" {
		t.Errorf("task Region = %v, want the destination location's", task["Region"])
	}
}

func TestTaskDefaultsNeverDeleteDestinationData(t *testing.T) {
	stack, _ := sourceStack(t, crossRegion())
	templateOf(stack).HasResourceProperties(jsii.String("Custom::DataSyncTask"), map[string]interface{}{
		"TaskMode": "ENHANCED", "VerifyMode": "ONLY_FILES_TRANSFERRED", "TransferMode": "CHANGED",
		"OverwriteMode": "ALWAYS", "PreserveDeletedFiles": "PRESERVE", "ObjectTags": "PRESERVE",
		"CloudWatchLogGroupArn": assertions.Match_Absent(),
	})
}

func TestRolesHaveDocumentedNamesTrustAndLeastPrivilege(t *testing.T) {
	stack, tm := sourceStack(t, crossRegion())
	template := templateOf(stack)
	template.HasResourceProperties(jsii.String("AWS::IAM::Role"), map[string]interface{}{
		"RoleName": "datasync-media-archive-bucket-access",
		"AssumeRolePolicyDocument": map[string]interface{}{"Statement": []interface{}{map[string]interface{}{
			"Action": "sts:AssumeRole", "Effect": "Allow",
			"Principal": map[string]interface{}{"Service": "datasync.amazonaws.com"},
			"Condition": map[string]interface{}{
				"StringEquals": map[string]interface{}{"aws:SourceAccount": "111111111111"},
				"ArnLike":      map[string]interface{}{"aws:SourceArn": "arn:aws:datasync:*:111111111111:*"},
			},
		}}},
	})
	template.HasResourceProperties(jsii.String("AWS::IAM::Role"), map[string]interface{}{
		"RoleName": "datasync-media-archive-location-admin",
	})

	// Bucket-access role: read the source prefix, the tutorial's actions on the
	// destination prefix; bucket-level actions on the buckets.
	for _, a := range []string{"s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectVersionTagging", "s3:GetObjectTagging"} {
		if got := tm.grants(a); !contains(got, "arn:aws:s3:::acme-media-src/photos/*") || contains(got, "arn:aws:s3:::acme-media-src/*") {
			t.Errorf("%s granted on %v: want the source prefix's objects", a, got)
		}
	}
	for _, a := range []string{"s3:PutObject", "s3:DeleteObject", "s3:PutObjectTagging", "s3:AbortMultipartUpload"} {
		if got := tm.grants(a); len(got) != 1 || got[0] != "arn:aws:s3:::acme-media-dst/archive/photos/*" {
			t.Errorf("%s granted on %v: want the destination prefix's objects only", a, got)
		}
	}
	for _, a := range []string{"s3:GetBucketLocation", "s3:ListBucketMultipartUploads"} {
		if got := tm.grants(a); !contains(got, "arn:aws:s3:::acme-media-src") || !contains(got, "arn:aws:s3:::acme-media-dst") {
			t.Errorf("%s granted on %v: want both buckets", a, got)
		}
	}
	// Location-admin role: list both buckets, pass only the bucket-access role, only to DataSync.
	if got := tm.grants("s3:ListBucket"); !contains(got, "arn:aws:s3:::acme-media-src") || !contains(got, "arn:aws:s3:::acme-media-dst") {
		t.Errorf("s3:ListBucket granted on %v", got)
	}
	// Every S3 grant is pinned to the account that owns the bucket.
	for _, s := range tm.policyStatements() {
		resources := strings.Join(strs(s["Resource"]), " ")
		want := ""
		switch {
		case strings.Contains(resources, "acme-media-src"):
			want = `{"StringEquals":{"aws:ResourceAccount":"111111111111"}}`
		case strings.Contains(resources, "acme-media-dst"):
			want = `{"StringEquals":{"aws:ResourceAccount":"222222222222"}}`
		default:
			continue
		}
		if got := toString(s["Condition"]); got != want {
			t.Errorf("statement on %s has condition %s, want %s", resources, got, want)
		}
	}
	for _, s := range tm.policyStatements() {
		actions := strs(s["Action"])
		for _, a := range actions {
			if strings.Contains(a, "*") && s["Effect"] == "Allow" {
				t.Errorf("wildcard action %s in %v", a, s)
			}
		}
		if contains(actions, "iam:PassRole") {
			if toString(s["Resource"]) != `{"Fn::GetAtt":["TransferBucketAccessRoleB19D068C","Arn"]}` && !strings.Contains(toString(s["Resource"]), "BucketAccessRole") {
				t.Errorf("iam:PassRole on %v", s["Resource"])
			}
			if !strings.Contains(toString(s["Condition"]), `"iam:PassedToService":"datasync.amazonaws.com"`) {
				t.Errorf("iam:PassRole without iam:PassedToService: %v", s)
			}
		}
	}
	// ENHANCED: CreateTask creates DataSync's service-linked role.
	if got := tm.grants("iam:CreateServiceLinkedRole"); len(got) != 1 || !strings.HasSuffix(got[0], "/AWSServiceRoleForDataSync") {
		t.Errorf("iam:CreateServiceLinkedRole granted on %v", got)
	}
}

func TestProviderIsAGoArm64FunctionRunAsTheLocationAdminRole(t *testing.T) {
	stack, tm := sourceStack(t, crossRegion())
	fn := tm.function(t, "datasync-media-archive-provider")
	if fn["Runtime"] != "provided.al2023" || toString(fn["Architectures"]) != `["arm64"]` || fn["Handler"] != "bootstrap" ||
		fn["FunctionName"] != "datasync-media-archive-provider" {
		t.Errorf("function = %v", fn)
	}
	role := toString(fn["Role"])
	if !strings.Contains(role, "LocationAdminRole") {
		t.Errorf("function role = %s", role)
	}
	// Locations wait for the bucket-access role, whose policy is inline (the access
	// test assumes it): no separate policy resource could still be missing.
	for id, r := range tm.resources("Custom::DataSyncS3Location") {
		if !strings.Contains(toString(r["DependsOn"]), "BucketAccessRole") {
			t.Errorf("location %s does not wait for the bucket-access role", id)
		}
	}
	if n := len(tm.resources("AWS::IAM::Policy")); n != 0 {
		t.Errorf("%d separate policy resources: a role could exist without its permissions", n)
	}
	_ = stack
}

func TestBasicModeLogsToItsOwnGroupThroughTheSharedResourcePolicy(t *testing.T) {
	tr := sameRegion()
	tr.Task.Mode, tr.Task.LogRetentionDays = "BASIC", 14
	stack, tm := sourceStack(t, tr)
	template := templateOf(stack)

	template.HasResourceProperties(jsii.String("AWS::Logs::LogGroup"), map[string]interface{}{
		"LogGroupName": "/aws/datasync/logs-consolidation", "RetentionInDays": 14,
	})
	policy := tm.one(t, "Custom::DataSyncLogsResourcePolicy")
	if policy["PolicyName"] != transfer.LogsResourcePolicyName || policy["Region"] != "eu-west-1" ||
		!strings.Contains(policy["PolicyDocument"].(string), `"aws:SourceArn":"arn:aws:datasync:eu-west-1:111111111111:task/*"`) {
		t.Errorf("logs resource policy = %v", policy)
	}
	if len(tm.resources("AWS::Logs::ResourcePolicy")) != 0 {
		t.Error("a per-stack AWS::Logs::ResourcePolicy would hit the limit of ten per account and Region")
	}
	for _, r := range tm.resources("Custom::DataSyncTask") {
		p := r["Properties"].(map[string]any)
		if p["CloudWatchLogGroupArn"] != "arn:aws:logs:eu-west-1:111111111111:log-group:/aws/datasync/logs-consolidation" {
			t.Errorf("task log group = %v", p["CloudWatchLogGroupArn"])
		}
		deps := toString(r["DependsOn"])
		if !strings.Contains(deps, "LogsResourcePolicy") || !strings.Contains(deps, "TaskLogs") {
			t.Errorf("task does not wait for its logging: %s", deps)
		}
	}
	if len(tm.grants("iam:CreateServiceLinkedRole")) != 0 {
		t.Error("BASIC tasks need no service-linked role")
	}
}

func TestEnhancedModeCreatesNoLogGroupForTheTask(t *testing.T) {
	_, tm := sourceStack(t, crossRegion())
	for _, r := range tm.resources("AWS::Logs::LogGroup") {
		if name, _ := r["Properties"].(map[string]any)["LogGroupName"].(string); strings.HasPrefix(name, "/aws/datasync") {
			t.Errorf("ENHANCED tasks log to /aws/datasync, which DataSync creates; got %s", name)
		}
	}
	if len(tm.resources("Custom::DataSyncLogsResourcePolicy")) != 0 {
		t.Error("ENHANCED tasks need no logs resource policy")
	}
}

func TestKMSKeysAreGrantedToTheBucketAccessRole(t *testing.T) {
	tr := crossRegion()
	tr.Source.KmsKeyArn = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	tr.Destination.KmsKeyArn = "arn:aws:kms:us-west-2:222222222222:key/abcd1234-12ab-34cd-56ef-1234567890ab"
	_, tm := sourceStack(t, tr)
	if got := tm.grants("kms:Decrypt"); !contains(got, tr.Source.KmsKeyArn) || !contains(got, tr.Destination.KmsKeyArn) {
		t.Errorf("kms:Decrypt granted on %v", got)
	}
	if got := tm.grants("kms:GenerateDataKey"); len(got) != 1 || got[0] != tr.Destination.KmsKeyArn {
		t.Errorf("kms:GenerateDataKey granted on %v: want the destination key only", got)
	}

	// A key the destination stack creates is matched by its alias.
	tr2 := sameRegion()
	tr2.Destination.CreateBucket, tr2.Destination.CreateKmsKey = true, true
	_, tm2 := sourceStack(t, tr2)
	found := false
	for _, s := range tm2.policyStatements() {
		if contains(strs(s["Action"]), "kms:GenerateDataKey") {
			found = strings.Contains(toString(s["Condition"]), "alias/datasync/acme-logs-dst")
		}
	}
	if !found {
		t.Error("created destination key not granted by alias")
	}
}

// With monitoring off, notifications.email receives one line per failed execution
// (with monitoring on the notifier sends readable notifications: monitoring_test.go).
func TestReportNotificationsAndStartOnDeploy(t *testing.T) {
	tr := crossRegion()
	tr.Monitoring.Enabled = jsii.Bool(false)
	tr.Task.Report = &spec.Report{Bucket: "acme-reports", Prefix: "datasync", Level: "SUCCESSES_AND_ERRORS"}
	tr.Task.StartOnDeploy = true
	tr.Notifications.Email = "data-ops@example.com"
	stack, tm := sourceStack(t, tr)
	template := templateOf(stack)

	task := tm.one(t, "Custom::DataSyncTask")
	if task["ReportBucketArn"] != "arn:aws:s3:::acme-reports" || task["ReportSubdirectory"] != "datasync" || task["ReportLevel"] != "SUCCESSES_AND_ERRORS" {
		t.Errorf("task report = %v", task)
	}
	if got := tm.grants("s3:PutObject"); !contains(got, "arn:aws:s3:::acme-reports/datasync/*") {
		t.Errorf("report writes not granted: %v", got)
	}
	exec := tm.one(t, "Custom::DataSyncTaskExecution")
	if !strings.Contains(toString(exec["TaskArn"]), "TransferTask") || exec["Region"] != "us-west-2" {
		t.Errorf("first execution = %v", exec)
	}
	template.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), map[string]interface{}{
		"Protocol": "email", "Endpoint": "data-ops@example.com",
	})
	rule := tm.one(t, "AWS::Events::Rule")
	pattern := toString(rule["EventPattern"])
	for _, want := range []string{`"source":["aws.datasync"]`, `"DataSync Task Execution State Change"`, `"State":["ERROR"]`, `"prefix"`, "/execution/"} {
		if !strings.Contains(pattern, want) {
			t.Errorf("event pattern lacks %s: %s", want, pattern)
		}
	}
}

func TestReRunManifestsAreReadableOnlyInTheirFolder(t *testing.T) {
	// GIVEN a transfer with a task report
	tr := crossRegion()
	tr.Task.Report = &spec.Report{Bucket: "acme-reports", Prefix: "datasync"}

	// WHEN
	_, tm := sourceStack(t, tr)

	// THEN the bucket-access role may read the manifests of re-runs
	// (transfers verify --rerun) under the report prefix's manifests/ folder, and
	// read nothing else of the report bucket
	manifests := "arn:aws:s3:::acme-reports/datasync/manifests/*"
	for _, a := range spec.ManifestActions {
		got := tm.grants(a)
		if !contains(got, manifests) {
			t.Errorf("%s not granted on %s: %v", a, manifests, got)
		}
		for _, r := range got {
			if strings.HasPrefix(r, "arn:aws:s3:::acme-reports") && r != manifests {
				t.Errorf("%s granted on %s too", a, r)
			}
		}
	}
}

func TestSourceStackOutputs(t *testing.T) {
	_, tm := sourceStack(t, crossRegion())
	outputs := toString(tm["Outputs"])
	for _, want := range []string{"TaskArn", "aws datasync start-task-execution --task-arn ", " --region us-west-2",
		"https://us-west-2.console.aws.amazon.com/datasync/home?region=us-west-2#/tasks/"} {
		if !strings.Contains(outputs, want) {
			t.Errorf("outputs lack %q: %s", want, outputs)
		}
	}
}

func TestTransferStacksNamesEnvironmentsAndOrder(t *testing.T) {
	app := newApp(t, false)
	tr := crossRegion()
	stacks := transfer.NewTransferStacks(app, &tr)
	if *stacks.Destination.StackName() != "acme-media-dst-destination" || *stacks.Source.StackName() != "media-archive-source" {
		t.Errorf("stack names %s, %s", *stacks.Destination.StackName(), *stacks.Source.StackName())
	}
	if *stacks.Destination.Account() != "222222222222" || *stacks.Destination.Region() != "us-west-2" {
		t.Errorf("destination env %s/%s", *stacks.Destination.Account(), *stacks.Destination.Region())
	}
	deps := *stacks.Source.Dependencies()
	if len(deps) != 1 || *deps[0].StackName() != "acme-media-dst-destination" {
		t.Errorf("source stack depends on %v", deps)
	}
	// Both stacks derive the role names from the transfer; nothing crosses accounts as an export.
	for _, s := range []awscdk.Stack{stacks.Destination, stacks.Source} {
		if strings.Contains(toString(toJSON(s)), "Fn::ImportValue") {
			t.Errorf("%s imports a value from another stack", *s.StackName())
		}
	}
}

func TestSourceSideEmbeddedInAnotherRegion(t *testing.T) {
	tr := crossRegion()
	app := newApp(t, false)
	// Monitoring (on by default) needs its rules in the task's Region. (An app of its
	// own: the construct stops half-built, which must not be synthesized.)
	monitored := awscdk.NewStack(newApp(t, false), jsii.String("Platform0"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-central-1")},
	})
	msg := expectPanic(t, func() {
		transfer.NewSourceTransfer(monitored, "MediaArchive", &transfer.SourceTransferProps{Transfer: &tr})
	})
	if !strings.Contains(msg, "monitoring (its EventBridge rules") || !strings.Contains(msg, "monitoring.enabled: false") {
		t.Errorf("panic does not name monitoring and the way out: %s", msg)
	}
	tr.Monitoring.Enabled = jsii.Bool(false)
	stack := awscdk.NewStack(app, jsii.String("Platform"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-central-1")},
	})
	transfer.NewSourceTransfer(stack, "MediaArchive", &transfer.SourceTransferProps{Transfer: &tr})
	tm := toJSON(stack)
	if task := tm.one(t, "Custom::DataSyncTask"); task["Region"] != "us-west-2" {
		t.Errorf("task Region = %v: it must be created in the destination Region wherever the stack is", task["Region"])
	}

	basic := crossRegion()
	basic.Task.Mode = "BASIC"
	basic.Monitoring.Enabled = jsii.Bool(false)
	other := awscdk.NewStack(app, jsii.String("Platform2"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-central-1")},
	})
	msg = expectPanic(t, func() {
		transfer.NewSourceTransfer(other, "MediaArchive", &transfer.SourceTransferProps{Transfer: &basic})
	})
	for _, want := range []string{"BASIC-mode logging", "destination Region us-west-2", "eu-central-1", "logLevel OFF"} {
		if !strings.Contains(msg, want) {
			t.Errorf("panic lacks %q: %s", want, msg)
		}
	}
}
