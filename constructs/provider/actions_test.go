package provider

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datasync"
	dstypes "github.com/aws/aws-sdk-go-v2/service/datasync/types"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/s3transfer/cdk-datasync/constructs/provider/resource"
)

// iamActionsOf maps one recorded SDK call to the IAM actions AWS checks for it: the
// operation's own action (service prefix from the input's package) and the ones the
// call implies (see actions.go).
func iamActionsOf(op string, in any) []string {
	prefix := map[string]string{"datasync": "datasync:", "s3": "s3:", "cloudwatchlogs": "logs:"}
	pkg := reflect.TypeOf(in).Elem().PkgPath()
	actions := []string{prefix[pkg[strings.LastIndex(pkg, "/")+1:]] + op}
	tagged := func(tags []dstypes.TagListEntry) {
		if len(tags) > 0 {
			actions = append(actions, "datasync:TagResource")
		}
	}
	passes := func(role *string) {
		if aws.ToString(role) != "" {
			actions = append(actions, "iam:PassRole")
		}
	}
	reportRole := func(r *dstypes.TaskReportConfig) *string {
		if r == nil || r.Destination == nil || r.Destination.S3 == nil {
			return nil
		}
		return r.Destination.S3.BucketAccessRoleArn
	}
	switch in := in.(type) {
	case *datasync.CreateLocationS3Input:
		tagged(in.Tags)
		passes(in.S3Config.BucketAccessRoleArn)
		actions = append(actions, "s3:ListBucket") // the location access test runs as the caller
	case *datasync.UpdateLocationS3Input:
		passes(in.S3Config.BucketAccessRoleArn)
		actions = append(actions, "s3:ListBucket")
	case *datasync.CreateTaskInput:
		tagged(in.Tags)
		passes(reportRole(in.TaskReportConfig))
		if in.TaskMode == dstypes.TaskModeEnhanced {
			actions = append(actions, "iam:CreateServiceLinkedRole")
		}
	case *datasync.UpdateTaskInput:
		passes(reportRole(in.TaskReportConfig))
	case *datasync.StartTaskExecutionInput:
		tagged(in.Tags)
	}
	return actions
}

// actionRecorder runs events and checks each call they make against resource.RequiredActions.
type actionRecorder struct {
	t    *testing.T
	w    *world
	h    *Handler
	used map[string]map[resource.Request]map[string]bool
}

func (r *actionRecorder) run(e cfn.Event) (Result, error) {
	from := len(r.w.calls)
	res, err := r.h.Handle(context.Background(), e)
	rt := resource.Request(e.RequestType)
	allowed := resource.RequiredActions(e.ResourceType, rt)
	for i := from; i < len(r.w.calls); i++ {
		for _, a := range iamActionsOf(r.w.calls[i], r.w.inputs[i]) {
			if !slices.Contains(allowed, a) {
				r.t.Errorf("%s %s calls %s (needs %s), not in resource.RequiredActions %v", e.RequestType, e.ResourceType, r.w.calls[i], a, allowed)
			}
			if r.used[e.ResourceType] == nil {
				r.used[e.ResourceType] = map[resource.Request]map[string]bool{}
			}
			if r.used[e.ResourceType][rt] == nil {
				r.used[e.ResourceType][rt] = map[string]bool{}
			}
			r.used[e.ResourceType][rt][a] = true
		}
	}
	return res, err
}

func (r *actionRecorder) must(e cfn.Event) string {
	r.t.Helper()
	res, err := r.run(e)
	if err != nil {
		r.t.Fatalf("%s %s: %v", e.RequestType, e.ResourceType, err)
	}
	return res.PhysicalID
}

// TestRequiredActionsCoverEveryCall drives every path of every resource type and
// request type, including duplicates, replacements, rollbacks of failed creates,
// and deletes of what is already gone, and fails when a call needs an IAM action
// resource.RequiredActions does not list, or when resource.RequiredActions lists one no path needs.
func TestRequiredActionsCoverEveryCall(t *testing.T) {
	w := newWorld()
	r := &actionRecorder{t: t, w: w, h: w.handler(), used: map[string]map[resource.Request]map[string]bool{}}
	create := func(typ string, p any) cfn.Event { return event(cfn.RequestCreate, typ, "", p, nil) }
	update := func(typ, id string, p, old any) cfn.Event { return event(cfn.RequestUpdate, typ, id, p, old) }
	del := func(typ, id string, p any) cfn.Event { return event(cfn.RequestDelete, typ, id, p, nil) }

	// Locations: create, duplicate, in-place update, replacement, deletes.
	src := dstLocation()
	src.Region, src.S3BucketArn = "us-east-1", "arn:aws:s3:::acme-src"
	srcArn := r.must(create(resource.TypeS3Location, src))
	dstEvent := create(resource.TypeS3Location, dstLocation())
	dstArn := r.must(dstEvent)
	r.must(dstEvent)
	moved := dstLocation()
	moved.Subdirectory = "archive/v2"
	r.must(update(resource.TypeS3Location, dstArn, moved, dstLocation()))
	other := moved
	other.S3BucketArn = "arn:aws:s3:::acme-other"
	replace := update(resource.TypeS3Location, dstArn, other, moved)
	otherArn := r.must(replace)
	r.must(replace) // delivered twice
	r.must(del(resource.TypeS3Location, otherArn, other))
	r.must(del(resource.TypeS3Location, otherArn, other)) // already gone
	w.lose["CreateLocationS3"] = []error{cutOffByDeadline("CreateLocationS3")}
	failed := create(resource.TypeS3Location, dstLocation())
	if _, err := r.run(failed); err == nil {
		t.Fatal("a lost response was taken for success")
	}
	r.must(del(resource.TypeS3Location, placeholderPrefix+failed.RequestID, dstLocation()))
	// A replacing update whose create took effect but whose answer was lost fails;
	// its rollback keeps dstArn and deletes what the failed update made.
	w.lose["CreateLocationS3"] = []error{cutOffByDeadline("CreateLocationS3")}
	if _, err := r.run(update(resource.TypeS3Location, dstArn, other, moved)); err == nil {
		t.Fatal("a lost response was taken for success")
	}
	r.must(update(resource.TypeS3Location, dstArn, moved, other))

	// Tasks: ENHANCED with a report, duplicate, in-place update, replacement by a
	// BASIC task, deletes.
	tp := resource.TaskProps{
		Region: "us-west-2", SourceLocationArn: srcArn, DestinationLocationArn: dstArn, Name: "media-archive",
		TaskMode: "ENHANCED", VerifyMode: "ONLY_FILES_TRANSFERRED", OverwriteMode: "ALWAYS", TransferMode: "CHANGED",
		PreserveDeletedFiles: "PRESERVE", ObjectTags: "PRESERVE", LogLevel: "TRANSFER", Schedule: "rate(1 day)",
		ReportBucketArn: "arn:aws:s3:::acme-reports", ReportRoleArn: "arn:aws:iam::111111111111:role/datasync-t-bucket-access", ReportLevel: "ERRORS_ONLY",
	}
	taskEvent := create(resource.TypeTask, tp)
	taskArn := r.must(taskEvent)
	r.must(taskEvent)
	tp2 := tp
	tp2.OverwriteMode = "NEVER"
	r.must(update(resource.TypeTask, taskArn, tp2, tp))
	basic := tp2
	basic.TaskMode, basic.ReportBucketArn, basic.ReportRoleArn, basic.ReportLevel = "BASIC", "", "", ""
	basicArn := r.must(update(resource.TypeTask, taskArn, basic, tp2))
	elsewhere := tp2
	elsewhere.DestinationLocationArn = srcArn
	r.must(update(resource.TypeTask, taskArn, elsewhere, tp2)) // an ENHANCED replacement
	r.must(del(resource.TypeTask, taskArn, tp2))
	w.lose["CreateTask"] = []error{cutOffByDeadline("CreateTask")}
	failedTask := create(resource.TypeTask, tp)
	if _, err := r.run(failedTask); err == nil {
		t.Fatal("a lost response was taken for success")
	}
	r.must(del(resource.TypeTask, placeholderPrefix+failedTask.RequestID, tp))
	w.lose["CreateTask"] = []error{cutOffByDeadline("CreateTask")}
	if _, err := r.run(update(resource.TypeTask, basicArn, tp2, basic)); err == nil {
		t.Fatal("a lost response was taken for success")
	}
	r.must(update(resource.TypeTask, basicArn, basic, tp2)) // the rollback deletes the leftover

	// Executions: start (waiting while CREATING), duplicate, update with the same and
	// with a new task, delete.
	w.tasks[basicArn].status = []dstypes.TaskStatus{"CREATING", "AVAILABLE"}
	ep := resource.TaskExecutionProps{Region: "us-west-2", TaskArn: basicArn}
	execEvent := create(resource.TypeTaskExecution, ep)
	execArn := r.must(execEvent)
	r.must(execEvent)
	r.must(update(resource.TypeTaskExecution, execArn, ep, ep))
	newTask := r.must(create(resource.TypeTask, tp))
	ep2 := resource.TaskExecutionProps{Region: "us-west-2", TaskArn: newTask}
	rerun := update(resource.TypeTaskExecution, execArn, ep2, ep)
	r.must(rerun)
	r.must(rerun) // delivered twice
	r.must(del(resource.TypeTaskExecution, execArn, ep2))

	// Ownership controls: never set, already enforced, ObjectWriter again on update,
	// an ACL that grants others, delete.
	op := resource.OwnershipControlsProps{Region: "us-west-2", Bucket: "acme-dst"}
	r.must(create(resource.TypeOwnershipControls, op))
	r.must(create(resource.TypeOwnershipControls, op))
	w.ownership["acme-dst"] = "ObjectWriter"
	r.must(update(resource.TypeOwnershipControls, "acme-dst", op, op))
	w.ownership["acme-logs"] = "ObjectWriter"
	acl := ownerOnlyACL()
	acl.Grants = append(acl.Grants, grant(s3types.Grantee{Type: s3types.TypeGroup, URI: aws.String("http://acs.amazonaws.com/groups/s3/LogDelivery")}, s3types.PermissionWrite))
	w.acls["acme-logs"] = acl
	if _, err := r.run(create(resource.TypeOwnershipControls, resource.OwnershipControlsProps{Region: "us-west-2", Bucket: "acme-logs"})); err == nil {
		t.Fatal("ACLs disabled despite a log delivery grant")
	}
	r.must(del(resource.TypeOwnershipControls, "acme-dst", op))

	// Bucket policy statements: create beside others, update, update to none of
	// ours (the policy goes), delete beside others, delete of the last statements.
	w.policies["acme-dst"] = foreignPolicy
	sp := statementsProps("OursA", "OursB")
	spID := r.must(create(resource.TypeBucketPolicyStatements, sp))
	sp2 := statementsProps("OursA")
	r.must(update(resource.TypeBucketPolicyStatements, spID, sp2, sp))
	r.must(del(resource.TypeBucketPolicyStatements, spID, sp2))
	alone := resource.BucketPolicyStatementsProps{Region: "us-west-2", Bucket: "acme-alone", Statements: "[" + stmt("OursC", "s3:ListBucket") + "]"}
	aloneID := r.must(create(resource.TypeBucketPolicyStatements, alone))
	none := alone
	none.Statements = "[]"
	r.must(update(resource.TypeBucketPolicyStatements, aloneID, none, alone))
	r.must(create(resource.TypeBucketPolicyStatements, alone))
	r.must(del(resource.TypeBucketPolicyStatements, aloneID, alone))

	// The shared logs resource policy: create, update, delete while a task still
	// logs under the prefix, delete of the last.
	lp := resource.LogsResourcePolicyProps{Region: "us-west-2", PolicyName: "DataSyncLogs", PolicyDocument: `{"Statement":[]}`, LogGroupPrefix: "/aws/datasync/"}
	logging := tp
	logging.TaskMode, logging.CloudWatchLogGroupArn = "BASIC", "arn:aws:logs:us-west-2:111111111111:log-group:/aws/datasync/media-archive"
	r.must(create(resource.TypeTask, logging))
	r.must(create(resource.TypeLogsResourcePolicy, lp))
	r.must(update(resource.TypeLogsResourcePolicy, "DataSyncLogs", lp, lp))
	r.must(del(resource.TypeLogsResourcePolicy, "DataSyncLogs", lp))
	for arn := range w.tasks {
		delete(w.tasks, arn)
	}
	r.must(del(resource.TypeLogsResourcePolicy, "DataSyncLogs", lp))

	// Every action the table grants is needed by some path.
	for _, typ := range resource.Types() {
		for _, rt := range []resource.Request{resource.Create, resource.Update, resource.Delete} {
			for _, a := range resource.RequiredActions(typ, rt) {
				if !r.used[typ][rt][a] {
					t.Errorf("RequiredActions(%s, %s) lists %s, which no path calls", typ, rt, a)
				}
			}
		}
	}
}

// TestRequestTypesAreCloudFormations: the table is keyed by package resource's own
// request type, which must carry CloudFormation's values.
func TestRequestTypesAreCloudFormations(t *testing.T) {
	for _, c := range []struct {
		cfn  cfn.RequestType
		ours resource.Request
	}{{cfn.RequestCreate, resource.Create}, {cfn.RequestUpdate, resource.Update}, {cfn.RequestDelete, resource.Delete}} {
		if resource.Request(c.cfn) != c.ours {
			t.Errorf("CloudFormation's %q is %q in package resource", c.cfn, c.ours)
		}
	}
}
