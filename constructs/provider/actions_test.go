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

// actionRecorder runs events and checks each call they make against RequiredActions.
type actionRecorder struct {
	t    *testing.T
	w    *world
	h    *Handler
	used map[string]map[cfn.RequestType]map[string]bool
}

func (r *actionRecorder) run(e cfn.Event) (Result, error) {
	from := len(r.w.calls)
	res, err := r.h.Handle(context.Background(), e)
	allowed := RequiredActions(e.ResourceType, e.RequestType)
	for i := from; i < len(r.w.calls); i++ {
		for _, a := range iamActionsOf(r.w.calls[i], r.w.inputs[i]) {
			if !slices.Contains(allowed, a) {
				r.t.Errorf("%s %s calls %s (needs %s), not in RequiredActions %v", e.RequestType, e.ResourceType, r.w.calls[i], a, allowed)
			}
			if r.used[e.ResourceType] == nil {
				r.used[e.ResourceType] = map[cfn.RequestType]map[string]bool{}
			}
			if r.used[e.ResourceType][e.RequestType] == nil {
				r.used[e.ResourceType][e.RequestType] = map[string]bool{}
			}
			r.used[e.ResourceType][e.RequestType][a] = true
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
// RequiredActions does not list, or when RequiredActions lists one no path needs.
func TestRequiredActionsCoverEveryCall(t *testing.T) {
	w := newWorld()
	r := &actionRecorder{t: t, w: w, h: w.handler(), used: map[string]map[cfn.RequestType]map[string]bool{}}
	create := func(typ string, p any) cfn.Event { return event(cfn.RequestCreate, typ, "", p, nil) }
	update := func(typ, id string, p, old any) cfn.Event { return event(cfn.RequestUpdate, typ, id, p, old) }
	del := func(typ, id string, p any) cfn.Event { return event(cfn.RequestDelete, typ, id, p, nil) }

	// Locations: create, duplicate, in-place update, replacement, deletes.
	src := dstLocation()
	src.Region, src.S3BucketArn = "us-east-1", "arn:aws:s3:::acme-src"
	srcArn := r.must(create(TypeS3Location, src))
	dstEvent := create(TypeS3Location, dstLocation())
	dstArn := r.must(dstEvent)
	r.must(dstEvent)
	moved := dstLocation()
	moved.Subdirectory = "archive/v2"
	r.must(update(TypeS3Location, dstArn, moved, dstLocation()))
	other := moved
	other.S3BucketArn = "arn:aws:s3:::acme-other"
	replace := update(TypeS3Location, dstArn, other, moved)
	otherArn := r.must(replace)
	r.must(replace) // delivered twice
	r.must(del(TypeS3Location, otherArn, other))
	r.must(del(TypeS3Location, otherArn, other)) // already gone
	w.lose["CreateLocationS3"] = []error{cutOffByDeadline("CreateLocationS3")}
	failed := create(TypeS3Location, dstLocation())
	if _, err := r.run(failed); err == nil {
		t.Fatal("a lost response was taken for success")
	}
	r.must(del(TypeS3Location, placeholderPrefix+failed.RequestID, dstLocation()))
	// A replacing update whose create took effect but whose answer was lost fails;
	// its rollback keeps dstArn and deletes what the failed update made.
	w.lose["CreateLocationS3"] = []error{cutOffByDeadline("CreateLocationS3")}
	if _, err := r.run(update(TypeS3Location, dstArn, other, moved)); err == nil {
		t.Fatal("a lost response was taken for success")
	}
	r.must(update(TypeS3Location, dstArn, moved, other))

	// Tasks: ENHANCED with a report, duplicate, in-place update, replacement by a
	// BASIC task, deletes.
	tp := TaskProps{
		Region: "us-west-2", SourceLocationArn: srcArn, DestinationLocationArn: dstArn, Name: "media-archive",
		TaskMode: "ENHANCED", VerifyMode: "ONLY_FILES_TRANSFERRED", OverwriteMode: "ALWAYS", TransferMode: "CHANGED",
		PreserveDeletedFiles: "PRESERVE", ObjectTags: "PRESERVE", LogLevel: "TRANSFER", Schedule: "rate(1 day)",
		ReportBucketArn: "arn:aws:s3:::acme-reports", ReportRoleArn: "arn:aws:iam::111111111111:role/datasync-t-bucket-access", ReportLevel: "ERRORS_ONLY",
	}
	taskEvent := create(TypeTask, tp)
	taskArn := r.must(taskEvent)
	r.must(taskEvent)
	tp2 := tp
	tp2.OverwriteMode = "NEVER"
	r.must(update(TypeTask, taskArn, tp2, tp))
	basic := tp2
	basic.TaskMode, basic.ReportBucketArn, basic.ReportRoleArn, basic.ReportLevel = "BASIC", "", "", ""
	basicArn := r.must(update(TypeTask, taskArn, basic, tp2))
	elsewhere := tp2
	elsewhere.DestinationLocationArn = srcArn
	r.must(update(TypeTask, taskArn, elsewhere, tp2)) // an ENHANCED replacement
	r.must(del(TypeTask, taskArn, tp2))
	w.lose["CreateTask"] = []error{cutOffByDeadline("CreateTask")}
	failedTask := create(TypeTask, tp)
	if _, err := r.run(failedTask); err == nil {
		t.Fatal("a lost response was taken for success")
	}
	r.must(del(TypeTask, placeholderPrefix+failedTask.RequestID, tp))
	w.lose["CreateTask"] = []error{cutOffByDeadline("CreateTask")}
	if _, err := r.run(update(TypeTask, basicArn, tp2, basic)); err == nil {
		t.Fatal("a lost response was taken for success")
	}
	r.must(update(TypeTask, basicArn, basic, tp2)) // the rollback deletes the leftover

	// Executions: start (waiting while CREATING), duplicate, update with the same and
	// with a new task, delete.
	w.tasks[basicArn].status = []dstypes.TaskStatus{"CREATING", "AVAILABLE"}
	ep := TaskExecutionProps{Region: "us-west-2", TaskArn: basicArn}
	execEvent := create(TypeTaskExecution, ep)
	execArn := r.must(execEvent)
	r.must(execEvent)
	r.must(update(TypeTaskExecution, execArn, ep, ep))
	newTask := r.must(create(TypeTask, tp))
	ep2 := TaskExecutionProps{Region: "us-west-2", TaskArn: newTask}
	rerun := update(TypeTaskExecution, execArn, ep2, ep)
	r.must(rerun)
	r.must(rerun) // delivered twice
	r.must(del(TypeTaskExecution, execArn, ep2))

	// Ownership controls: never set, already enforced, ObjectWriter again on update,
	// an ACL that grants others, delete.
	op := OwnershipControlsProps{Region: "us-west-2", Bucket: "acme-dst"}
	r.must(create(TypeOwnershipControls, op))
	r.must(create(TypeOwnershipControls, op))
	w.ownership["acme-dst"] = "ObjectWriter"
	r.must(update(TypeOwnershipControls, "acme-dst", op, op))
	w.ownership["acme-logs"] = "ObjectWriter"
	acl := ownerOnlyACL()
	acl.Grants = append(acl.Grants, grant(s3types.Grantee{Type: s3types.TypeGroup, URI: aws.String("http://acs.amazonaws.com/groups/s3/LogDelivery")}, s3types.PermissionWrite))
	w.acls["acme-logs"] = acl
	if _, err := r.run(create(TypeOwnershipControls, OwnershipControlsProps{Region: "us-west-2", Bucket: "acme-logs"})); err == nil {
		t.Fatal("ACLs disabled despite a log delivery grant")
	}
	r.must(del(TypeOwnershipControls, "acme-dst", op))

	// Bucket policy statements: create beside others, update, update to none of
	// ours (the policy goes), delete beside others, delete of the last statements.
	w.policies["acme-dst"] = foreignPolicy
	sp := statementsProps("OursA", "OursB")
	spID := r.must(create(TypeBucketPolicyStatements, sp))
	sp2 := statementsProps("OursA")
	r.must(update(TypeBucketPolicyStatements, spID, sp2, sp))
	r.must(del(TypeBucketPolicyStatements, spID, sp2))
	alone := BucketPolicyStatementsProps{Region: "us-west-2", Bucket: "acme-alone", Statements: "[" + stmt("OursC", "s3:ListBucket") + "]"}
	aloneID := r.must(create(TypeBucketPolicyStatements, alone))
	none := alone
	none.Statements = "[]"
	r.must(update(TypeBucketPolicyStatements, aloneID, none, alone))
	r.must(create(TypeBucketPolicyStatements, alone))
	r.must(del(TypeBucketPolicyStatements, aloneID, alone))

	// The shared logs resource policy: create, update, delete while a task still
	// logs under the prefix, delete of the last.
	lp := LogsResourcePolicyProps{Region: "us-west-2", PolicyName: "DataSyncLogs", PolicyDocument: `{"Statement":[]}`, LogGroupPrefix: "/aws/datasync/"}
	logging := tp
	logging.TaskMode, logging.CloudWatchLogGroupArn = "BASIC", "arn:aws:logs:us-west-2:111111111111:log-group:/aws/datasync/media-archive"
	r.must(create(TypeTask, logging))
	r.must(create(TypeLogsResourcePolicy, lp))
	r.must(update(TypeLogsResourcePolicy, "DataSyncLogs", lp, lp))
	r.must(del(TypeLogsResourcePolicy, "DataSyncLogs", lp))
	for arn := range w.tasks {
		delete(w.tasks, arn)
	}
	r.must(del(TypeLogsResourcePolicy, "DataSyncLogs", lp))

	// Every action the table grants is needed by some path.
	for typ, byRequest := range requiredActions {
		for rt := range byRequest {
			for _, a := range RequiredActions(typ, rt) {
				if !r.used[typ][rt][a] {
					t.Errorf("RequiredActions(%s, %s) lists %s, which no path calls", typ, rt, a)
				}
			}
		}
	}
}

func TestRequiredActionsTable(t *testing.T) {
	types := []string{TypeS3Location, TypeTask, TypeTaskExecution, TypeOwnershipControls, TypeBucketPolicyStatements, TypeLogsResourcePolicy}
	for _, typ := range types {
		for _, rt := range []cfn.RequestType{cfn.RequestCreate, cfn.RequestUpdate, cfn.RequestDelete} {
			if _, ok := requiredActions[typ][rt]; !ok {
				t.Errorf("no entry for %s %s", typ, rt)
			}
			for _, a := range RequiredActions(typ, rt) {
				res := ActionResources(a)
				if len(res) == 0 {
					t.Errorf("%s: no resource scope", a)
				}
				for _, arn := range res {
					if arn != "*" && !strings.HasPrefix(arn, "arn:"+ResPartition+":") && arn != ResRole {
						t.Errorf("%s: resource %q is neither * nor an ARN pattern", a, arn)
					}
				}
			}
		}
	}
	if len(requiredActions) != len(types) {
		t.Errorf("the table serves %d types, the provider %d", len(requiredActions), len(types))
	}
	// The cleanup deletes the issue is about: the logs resource policy needs
	// datasync:ListTasks, a location delete only location actions.
	if !slices.Contains(RequiredActions(TypeLogsResourcePolicy, cfn.RequestDelete), "datasync:ListTasks") {
		t.Error("the logs resource policy's delete lists tasks")
	}
	if RequiredActions("Custom::Nope", cfn.RequestCreate) != nil {
		t.Error("an unknown type has actions")
	}
	// Callers get a copy.
	a := RequiredActions(TypeTask, cfn.RequestCreate)
	a[0] = "x"
	if RequiredActions(TypeTask, cfn.RequestCreate)[0] == "x" {
		t.Error("RequiredActions returns its table")
	}
}
