package test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"

	monres "github.com/s3transfer/cdk-datasync/constructs/monitor/resource"
	"github.com/s3transfer/cdk-datasync/constructs/spec"
	"github.com/s3transfer/cdk-datasync/constructs/transfer"
)

// taskRef is the logical ID of the task's custom resource: its ARN (Ref) exists only
// once the provider created the task, so every rule, role and dashboard must use it.
func taskRef(t *testing.T, tm tmpl) string {
	t.Helper()
	for id := range tm.resources("Custom::DataSyncTask") {
		return id
	}
	t.Fatal("no Custom::DataSyncTask")
	return ""
}

// rule returns the properties of the event rule whose logical ID contains id.
func rule(t *testing.T, tm tmpl, id string) map[string]any {
	t.Helper()
	for logical, r := range tm.resources("AWS::Events::Rule") {
		if strings.Contains(logical, id) {
			return r["Properties"].(map[string]any)
		}
	}
	t.Fatalf("no rule %s", id)
	return nil
}

func TestNotifierIsInvokedForFinishedExecutionsOfTheTaskAndEveryFiveMinutes(t *testing.T) {
	tr := crossRegion()
	tr.Notifications.Email = "data-ops@example.com"
	_, tm := sourceStack(t, tr)
	task := taskRef(t, tm)
	ref := `{"Ref":"` + task + `"}`

	fn := tm.function(t, "datasync-media-archive-notifier")
	if fn["Runtime"] != "provided.al2023" || toString(fn["Architectures"]) != `["arm64"]` || !strings.Contains(toString(fn["Role"]), "NotifierRole") {
		t.Errorf("notifier = %v", fn)
	}
	env := fn["Environment"].(map[string]any)["Variables"].(map[string]any)
	if toString(env[monres.EnvTaskArn]) != ref || env[monres.EnvStallMinutes] != "30" || env[monres.EnvTransfer] != "media-archive" ||
		env[monres.EnvTaskLogGroup] != "/aws/datasync" || !strings.Contains(toString(env[monres.EnvTopicArns]), "FailureTopic") ||
		env[monres.EnvRoute] != "s3://acme-media-src/photos (us-east-1) -> s3://acme-media-dst/archive/photos (us-west-2, account 222222222222)" {
		t.Errorf("notifier environment = %v", env)
	}

	events := rule(t, tm, "ExecutionEvents")
	pattern := toString(events["EventPattern"])
	for _, want := range []string{`"source":["aws.datasync"]`, `"detail-type":["DataSync Task Execution State Change"]`,
		`"State":["SUCCESS","ERROR"]`, `"prefix":{"Fn::Join":["",[` + ref + `,"/execution/"]]}`} {
		if !strings.Contains(pattern, want) {
			t.Errorf("execution rule pattern lacks %s: %s", want, pattern)
		}
	}
	checks := rule(t, tm, "Checks")
	if checks["ScheduleExpression"] != "rate(5 minutes)" {
		t.Errorf("check rule = %v", checks)
	}
	for name, r := range map[string]map[string]any{"execution": events, "check": checks} {
		if targets := toString(r["Targets"]); !strings.Contains(targets, "Notifier") || strings.Contains(targets, "FailureTopic") {
			t.Errorf("%s rule targets %s, want the notifier only", name, targets)
		}
	}
	if n := len(tm.resources("AWS::Events::Rule")); n != 2 {
		t.Errorf("%d rules: with monitoring on, the notifier replaces the one-line failure mail", n)
	}
	if n := len(tm.resources("AWS::Lambda::Permission")); n != 2 {
		t.Errorf("%d Lambda permissions, want one per rule", n)
	}

	// The role: exactly the notifier's table, on this task and its executions, the
	// topic, and * only where DataSync has no resource-level permission.
	var granted []string
	for _, s := range notifierStatements(t, tm) {
		for _, a := range strs(s["Action"]) {
			if strings.HasPrefix(a, "logs:") {
				continue
			}
			granted = append(granted, a)
			res := toString(s["Resource"])
			switch monres.ActionResource(a) {
			case "task":
				if !strings.Contains(res, ref) || !strings.Contains(res, `/execution/*`) || strings.Contains(res, `"*"`) {
					t.Errorf("%s on %s, want the task and its executions", a, res)
				}
			case "topic":
				if !strings.Contains(res, "FailureTopic") {
					t.Errorf("%s on %s", a, res)
				}
			case "*":
				if res != `["*"]` && res != `"*"` {
					t.Errorf("%s on %s", a, res)
				}
			}
		}
	}
	slices.Sort(granted)
	if want := monres.RequiredActions(monres.ExecutionEvent, monres.Check); !slices.Equal(granted, want) {
		t.Errorf("notifier role grants %v, want %v", granted, want)
	}
	// The e-mail topic keeps its construct ID whatever monitoring says (its
	// confirmed subscription survives switching).
	topics := tm.resources("AWS::SNS::Topic")
	if len(topics) != 1 {
		t.Fatalf("%d topics", len(topics))
	}
	for id := range topics {
		if !strings.Contains(id, "FailureTopic") {
			t.Errorf("topic %s", id)
		}
	}
}

func notifierStatements(t *testing.T, tm tmpl) []map[string]any {
	t.Helper()
	for id, r := range tm.resources("AWS::IAM::Role") {
		if !strings.Contains(id, "NotifierRole") {
			continue
		}
		var out []map[string]any
		for _, p := range r["Properties"].(map[string]any)["Policies"].([]any) {
			for _, s := range p.(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
				out = append(out, s.(map[string]any))
			}
		}
		return out
	}
	t.Fatal("no notifier role")
	return nil
}

func TestNotifierPublishesToTopicsOfTheLibraryUser(t *testing.T) {
	app := newApp(t, false)
	tr := crossRegion()
	tr.Monitoring = spec.Monitoring{StallMinutes: 90, NotifySuccess: true}
	stack := awscdk.NewStack(app, jsii.String("Platform"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("us-west-2")},
	})
	ops := awssns.Topic_FromTopicArn(stack, jsii.String("Ops"), jsii.String("arn:aws:sns:us-west-2:111111111111:ops"))
	src := transfer.NewSourceTransfer(stack, "Media", &transfer.SourceTransferProps{Transfer: &tr, NotificationTopics: []awssns.ITopic{ops}})
	if src.NotifierFunction() == nil || src.Dashboard() != nil {
		t.Error("accessors")
	}
	tm := toJSON(stack)
	env := tm.function(t, "datasync-media-archive-notifier")["Environment"].(map[string]any)["Variables"].(map[string]any)
	if env[monres.EnvTopicArns] != "arn:aws:sns:us-west-2:111111111111:ops" ||
		env[monres.EnvStallMinutes] != "90" || env[monres.EnvNotifySuccess] != "true" {
		t.Errorf("environment %v", env)
	}
	if got := tm.grants("sns:Publish"); !slices.Equal(got, []string{"arn:aws:sns:us-west-2:111111111111:ops"}) {
		t.Errorf("sns:Publish on %v", got)
	}

	// A topic with server-side encryption: the notifier may use its key to publish
	// (kms:GenerateDataKey, kms:Decrypt), and no other key.
	if got := tm.grants("kms:GenerateDataKey"); len(got) != 0 {
		t.Errorf("kms:GenerateDataKey granted without an encrypted topic: %v", got)
	}
	sealed := crossRegion()
	sealed.Name = "sealed"
	kstack := awscdk.NewStack(newApp(t, false), jsii.String("Sealed"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("us-west-2")},
	})
	key := awskms.Key_FromKeyArn(kstack, jsii.String("Key"), jsii.String("arn:aws:kms:us-west-2:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"))
	enc := awssns.NewTopic(kstack, jsii.String("Encrypted"), &awssns.TopicProps{MasterKey: key})
	transfer.NewSourceTransfer(kstack, "Sealed", &transfer.SourceTransferProps{Transfer: &sealed, NotificationTopics: []awssns.ITopic{enc}})
	kt := toJSON(kstack)
	for _, action := range []string{"kms:GenerateDataKey", "kms:Decrypt"} {
		if got := kt.grants(action); !slices.Equal(got, []string{*key.KeyArn()}) {
			t.Errorf("%s on %v, want the topic's key %s", action, got, *key.KeyArn())
		}
	}

	// Without any topic the notifier only logs, and may publish nowhere.
	quiet := crossRegion()
	quiet.Name = "quiet"
	_, qt := sourceStack(t, quiet)
	if got := qt.grants("sns:Publish"); len(got) != 0 {
		t.Errorf("sns:Publish granted without a topic: %v", got)
	}
}

func TestMonitoringOffKeepsTheFailureMailOnly(t *testing.T) {
	tr := crossRegion()
	tr.Notifications.Email = "data-ops@example.com"
	tr.Monitoring.Enabled = jsii.Bool(false)
	tr.Monitoring.Dashboard = spec.DashboardTransfer // ignored when off
	_, tm := sourceStack(t, tr)
	if n := len(tm.resources("AWS::Lambda::Function")); n != 1 {
		t.Errorf("%d functions, want the provider only", n)
	}
	if n := len(tm.resources("AWS::CloudWatch::Dashboard")); n != 0 {
		t.Errorf("%d dashboards with monitoring off", n)
	}
	failed := rule(t, tm, "FailedExecutions")
	if !strings.Contains(toString(failed["EventPattern"]), `"State":["ERROR"]`) || !strings.Contains(toString(failed["Targets"]), "FailureTopic") {
		t.Errorf("failure mail rule = %v", failed)
	}
	app := newApp(t, false)
	if stacks := transfer.NewStacks(app, []spec.Transfer{tr}); len(stacks.Monitoring) != 0 {
		t.Errorf("a monitoring stack for a transfer with monitoring off")
	}
	// Switching monitoring keeps the e-mail topic (same logical ID): its confirmed
	// subscription survives.
	on := crossRegion()
	on.Notifications.Email = tr.Notifications.Email
	_, onTm := sourceStack(t, on)
	var offIDs, onIDs []string
	for id := range tm.resources("AWS::SNS::Topic") {
		offIDs = append(offIDs, id)
	}
	for id := range onTm.resources("AWS::SNS::Topic") {
		onIDs = append(onIDs, id)
	}
	if len(offIDs) != 1 || !slices.Equal(offIDs, onIDs) {
		t.Errorf("topics with monitoring off %v, on %v", offIDs, onIDs)
	}
}

func TestTransferDashboardGraphsTheTaskOfTheCustomResourcePerMode(t *testing.T) {
	for _, mode := range []string{"ENHANCED", "BASIC"} {
		t.Run(mode, func(t *testing.T) {
			tr := crossRegion()
			tr.Task.Mode = mode
			tr.Monitoring.Dashboard = spec.DashboardTransfer
			_, tm := sourceStack(t, tr)
			d := tm.one(t, "AWS::CloudWatch::Dashboard")
			if d["DashboardName"] != "datasync-media-archive" {
				t.Errorf("dashboard name %v", d["DashboardName"])
			}
			body := toString(d["DashboardBody"])
			taskID := `{"Fn::Select":[1,{"Fn::Split":["/",{"Ref":"` + taskRef(t, tm) + `"}]}]}`
			if !strings.Contains(body, taskID) {
				t.Errorf("dashboard does not use the TaskId of the task's custom resource %s:\n%s", taskID, body)
			}
			for _, m := range []string{"BytesTransferred", "BytesWritten", "FilesTransferred", "FilesVerifiedDestination", "AWS/DataSync", "TaskId",
				"dashboards/dashboard/datasync-111111111111-us-west-2"} {
				if !strings.Contains(body, m) {
					t.Errorf("dashboard lacks %s", m)
				}
			}
			if prepared := strings.Contains(body, "FilesPreparedSource"); prepared != (mode == "BASIC") {
				t.Errorf("%s dashboard graphs FilesPreparedSource: %t", mode, prepared)
			}
		})
	}
}

func TestSharedDashboardPerSourceAccountAndRegion(t *testing.T) {
	app := newApp(t, false)
	a, b, c := crossRegion(), crossRegion(), crossRegion()
	b.Name, b.Destination.Prefix, b.Monitoring.Dashboard = "video-archive", "archive/videos", spec.DashboardTransfer
	c.Name, c.Destination.Prefix, c.Source.Account = "other-account", "archive/other", "333333333333"
	off := crossRegion()
	off.Name, off.Destination.Prefix, off.Monitoring.Dashboard = "no-dashboard", "archive/none", spec.DashboardNone
	stacks := transfer.NewStacks(app, []spec.Transfer{a, b, c, off})
	if len(stacks.Monitoring) != 2 {
		t.Fatalf("%d monitoring stacks, want one per source account and Region", len(stacks.Monitoring))
	}
	m := stacks.Monitoring[0]
	if *m.StackName() != "datasync-monitoring-111111111111-us-west-2" || *m.Account() != "111111111111" || *m.Region() != "us-west-2" {
		t.Errorf("monitoring stack %s in %s/%s", *m.StackName(), *m.Account(), *m.Region())
	}
	tm := toJSON(m)
	d := tm.one(t, "AWS::CloudWatch::Dashboard")
	if d["DashboardName"] != "datasync-111111111111-us-west-2" {
		t.Errorf("dashboard name %v", d["DashboardName"])
	}
	body := toString(d["DashboardBody"])
	for _, want := range []string{`"type\":\"custom\"`, "Widget", `SEARCH('{AWS/DataSync,TaskId} MetricName=\\\"BytesTransferred\\\"', 'Sum', 300)`,
		"FilesTransferred", "media-archive, video-archive"} {
		if !strings.Contains(body, want) {
			t.Errorf("shared dashboard lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, "no-dashboard") {
		t.Error("a transfer with dashboard none is on the shared dashboard")
	}
	if strings.Contains(toString(tm), "Fn::ImportValue") || len(*m.Dependencies()) != 0 {
		t.Error("the monitoring stack references other stacks")
	}
	fns := tm.resources("AWS::Lambda::Function")
	if len(fns) != 1 {
		t.Fatalf("%d functions", len(fns))
	}
	for _, f := range fns {
		env := f["Properties"].(map[string]any)["Environment"].(map[string]any)["Variables"].(map[string]any)
		var rows []monres.WidgetTransfer
		if err := json.Unmarshal([]byte(env[monres.EnvWidgetTransfers].(string)), &rows); err != nil || len(rows) != 2 ||
			rows[0].Name != "media-archive" || rows[0].Dashboard != "" || rows[1].Name != "video-archive" || rows[1].Dashboard != "datasync-video-archive" {
			t.Errorf("widget transfers %v (%v)", rows, err)
		}
	}
	// The widget reads tasks of this account and Region only.
	for _, a := range monres.RequiredActions(monres.DashboardWidget) {
		got := tm.grants(a)
		want := "arn:aws:datasync:us-west-2:111111111111:task/*"
		if monres.ActionResource(a) == "*" {
			want = "*"
		}
		if !slices.Equal(got, []string{want}) {
			t.Errorf("%s granted on %v, want %s", a, got, want)
		}
	}
	// The dashboard of the transfer's own view exists in its source stack.
	if n := len(toJSON(stacks.Sources[1]).resources("AWS::CloudWatch::Dashboard")); n != 1 {
		t.Errorf("video-archive has %d dashboards of its own", n)
	}
	if n := len(toJSON(stacks.Sources[0]).resources("AWS::CloudWatch::Dashboard")); n != 0 {
		t.Errorf("media-archive (dashboard shared) has %d dashboards of its own", n)
	}
}
