package provider

import (
	"context"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	dstypes "github.com/aws/aws-sdk-go-v2/service/datasync/types"

	"github.com/s3transfer/cdk-datasync/constructs/provider/resource"
)

const accessTestFailed = "DataSync location access test failed: could not perform s3:HeadBucket on bucket acme-dst. Access denied. Ensure bucket access role has s3:ListBucket permission."

func dstLocation() resource.LocationProps {
	return resource.LocationProps{
		Region: "us-west-2", S3BucketArn: "arn:aws:s3:::acme-dst", Subdirectory: "archive",
		S3StorageClass: "STANDARD", BucketAccessRoleArn: "arn:aws:iam::111111111111:role/datasync-t-bucket-access", Name: "t-destination",
	}
}

func mustHandle(t *testing.T, h *Handler, e cfn.Event) Result {
	t.Helper()
	res, err := h.Handle(context.Background(), e)
	if err != nil {
		t.Fatalf("%s %s: %v", e.RequestType, e.ResourceType, err)
	}
	return res
}

func TestLocationCreateInItsRegion(t *testing.T) {
	w := newWorld()
	p := dstLocation()
	p.Region = "eu-west-1"
	e := event(cfn.RequestCreate, resource.TypeS3Location, "", p, nil)
	res := mustHandle(t, w.handler(), e)

	if regionOfArn(res.PhysicalID) != "eu-west-1" {
		t.Fatalf("location %s not created in eu-west-1", res.PhysicalID)
	}
	if res.Data["Arn"] != res.PhysicalID {
		t.Errorf("Data.Arn = %v, want %s", res.Data["Arn"], res.PhysicalID)
	}
	in := w.locations[res.PhysicalID].in
	if aws.ToString(in.S3Config.BucketAccessRoleArn) != p.BucketAccessRoleArn || aws.ToString(in.Subdirectory) != "archive" ||
		in.S3StorageClass != "STANDARD" {
		t.Errorf("CreateLocationS3 input = %+v", in)
	}
	want := map[string]string{"Name": "t-destination", TagStackID: e.StackID, TagLogicalID: e.LogicalResourceID, TagRequestID: e.RequestID}
	if got := tagMap(w.tags[res.PhysicalID]); !maps.Equal(got, want) {
		t.Errorf("location tags = %v, want %v", got, want)
	}
}

func TestLocationUpdateInPlace(t *testing.T) {
	w := newWorld()
	h := w.handler()
	old := dstLocation()
	arn := mustHandle(t, h, event(cfn.RequestCreate, resource.TypeS3Location, "", old, nil)).PhysicalID

	p := old
	p.Subdirectory, p.S3StorageClass = "archive/v2", "INTELLIGENT_TIERING"
	res := mustHandle(t, h, event(cfn.RequestUpdate, resource.TypeS3Location, arn, p, old))

	if res.PhysicalID != arn || w.count("CreateLocationS3") != 1 || w.count("UpdateLocationS3") != 1 {
		t.Fatalf("want in-place update of %s, got %s after calls %v", arn, res.PhysicalID, w.calls)
	}
	if got := w.locations[arn].in; aws.ToString(got.Subdirectory) != "archive/v2" || got.S3StorageClass != "INTELLIGENT_TIERING" {
		t.Errorf("location not updated: %+v", got)
	}
}

func TestLocationUpdateWithReplacement(t *testing.T) {
	for name, change := range map[string]func(*resource.LocationProps){
		"bucket": func(p *resource.LocationProps) { p.S3BucketArn = "arn:aws:s3:::acme-other" },
		"region": func(p *resource.LocationProps) { p.Region = "us-east-2" },
	} {
		t.Run(name, func(t *testing.T) {
			w := newWorld()
			h := w.handler()
			old := dstLocation()
			oldArn := mustHandle(t, h, event(cfn.RequestCreate, resource.TypeS3Location, "", old, nil)).PhysicalID
			p := old
			change(&p)
			newArn := mustHandle(t, h, event(cfn.RequestUpdate, resource.TypeS3Location, oldArn, p, old)).PhysicalID

			if newArn == oldArn || w.count("UpdateLocationS3") != 0 {
				t.Fatalf("want a new location, got %s (calls %v)", newArn, w.calls)
			}
			if regionOfArn(newArn) != p.Region {
				t.Errorf("new location %s not in %s", newArn, p.Region)
			}
			// CloudFormation then deletes the old physical ID.
			mustHandle(t, h, event(cfn.RequestDelete, resource.TypeS3Location, oldArn, old, nil))
			if _, ok := w.locations[oldArn]; ok || len(w.locations) != 1 {
				t.Errorf("locations after cleanup: %v", w.locations)
			}
		})
	}
}

func TestDeleteOfSomethingAlreadyGoneSucceeds(t *testing.T) {
	w := newWorld()
	h := w.handler()
	for _, e := range []cfn.Event{
		event(cfn.RequestDelete, resource.TypeS3Location, "arn:aws:datasync:us-west-2:111111111111:location/loc-00000000000000009", dstLocation(), nil),
		event(cfn.RequestDelete, resource.TypeTask, "arn:aws:datasync:us-west-2:111111111111:task/task-00000000000000009", resource.TaskProps{Region: "us-west-2"}, nil),
		// A create that failed never had an ARN: its rollback delete calls nothing.
		event(cfn.RequestDelete, resource.TypeS3Location, "create-failed-req-1", dstLocation(), nil),
	} {
		if _, err := h.Handle(context.Background(), e); err != nil {
			t.Errorf("delete %s %s: %v", e.ResourceType, e.PhysicalResourceID, err)
		}
	}
	if w.count("DeleteLocation") != 1 || w.count("DeleteTask") != 1 {
		t.Errorf("calls = %v", w.calls)
	}
}

func TestIAMPropagationErrorIsRetriedThenSucceeds(t *testing.T) {
	w := newWorld()
	w.fail["CreateLocationS3"] = []error{invalidRequest(accessTestFailed), invalidRequest("Unable to assume role. Reason: Access denied")}
	res := mustHandle(t, w.handler(), event(cfn.RequestCreate, resource.TypeS3Location, "", dstLocation(), nil))

	if w.count("CreateLocationS3") != 3 || res.PhysicalID == "" {
		t.Fatalf("want success on the third attempt, calls %v", w.calls)
	}
	if len(w.sleeps) != 2 || w.sleeps[0] != time.Second || w.sleeps[1] != 2*time.Second {
		t.Errorf("backoff waits = %v, want [1s 2s]", w.sleeps)
	}
}

func TestIAMPropagationRetriesAreCappedAndExhausted(t *testing.T) {
	w := newWorld()
	for i := 0; i < 20; i++ {
		w.fail["CreateLocationS3"] = append(w.fail["CreateLocationS3"], invalidRequest(accessTestFailed))
	}
	_, err := w.handler().Handle(context.Background(), event(cfn.RequestCreate, resource.TypeS3Location, "", dstLocation(), nil))

	if err == nil || !strings.Contains(err.Error(), accessTestFailed) || !strings.Contains(err.Error(), "attempts") {
		t.Fatalf("want the AWS error text after the budget, got %v", err)
	}
	// Waits 1, 2, 4, 4, 4, 4 = 19 s within the 20 s budget; every wait capped at 4 s.
	var total time.Duration
	for _, d := range w.sleeps {
		if d > 4*time.Second {
			t.Errorf("wait %s above the cap", d)
		}
		total += d
	}
	if total > 20*time.Second || w.count("CreateLocationS3") != len(w.sleeps)+1 {
		t.Errorf("waited %s over %d calls", total, w.count("CreateLocationS3"))
	}
}

func TestNonRetryableErrorFailsAtOnce(t *testing.T) {
	w := newWorld()
	w.fail["CreateLocationS3"] = []error{invalidRequest("S3 bucket acme-dst does not exist in us-west-2")}
	_, err := w.handler().Handle(context.Background(), event(cfn.RequestCreate, resource.TypeS3Location, "", dstLocation(), nil))

	if err == nil || !strings.Contains(err.Error(), "S3 bucket acme-dst does not exist") {
		t.Fatalf("want the AWS error, got %v", err)
	}
	if w.count("CreateLocationS3") != 1 || len(w.sleeps) != 0 {
		t.Errorf("want one attempt and no wait, calls %v sleeps %v", w.calls, w.sleeps)
	}
}

// taskFixture creates two locations and returns task properties that use them.
func taskFixture(t *testing.T, w *world, h *Handler) resource.TaskProps {
	src := dstLocation()
	src.Region, src.S3BucketArn = "us-east-1", "arn:aws:s3:::acme-src"
	srcArn := mustHandle(t, h, event(cfn.RequestCreate, resource.TypeS3Location, "", src, nil)).PhysicalID
	dstArn := mustHandle(t, h, event(cfn.RequestCreate, resource.TypeS3Location, "", dstLocation(), nil)).PhysicalID
	return resource.TaskProps{
		Region: "us-west-2", SourceLocationArn: srcArn, DestinationLocationArn: dstArn, Name: "media-archive",
		TaskMode: "ENHANCED", VerifyMode: "ONLY_FILES_TRANSFERRED", OverwriteMode: "ALWAYS", TransferMode: "CHANGED",
		PreserveDeletedFiles: "PRESERVE", ObjectTags: "PRESERVE", LogLevel: "TRANSFER", BytesPerSecond: "-1",
		Includes: "/photos*", Excludes: "*.tmp|*/.cache", Schedule: "rate(1 day)",
		ReportBucketArn: "arn:aws:s3:::acme-reports", ReportSubdirectory: "datasync",
		ReportRoleArn: "arn:aws:iam::111111111111:role/datasync-t-bucket-access", ReportLevel: "ERRORS_ONLY",
	}
}

func TestTaskCreateInDestinationRegionWithSettings(t *testing.T) {
	w := newWorld()
	h := w.handler()
	p := taskFixture(t, w, h)
	arn := mustHandle(t, h, event(cfn.RequestCreate, resource.TypeTask, "", p, nil)).PhysicalID

	if regionOfArn(arn) != "us-west-2" {
		t.Fatalf("task %s not in the destination Region", arn)
	}
	in := w.tasks[arn].in
	o := in.Options
	switch {
	case in.TaskMode != dstypes.TaskModeEnhanced,
		o.VerifyMode != "ONLY_FILES_TRANSFERRED", o.OverwriteMode != "ALWAYS", o.TransferMode != "CHANGED",
		o.PreserveDeletedFiles != "PRESERVE", o.ObjectTags != "PRESERVE", o.LogLevel != "TRANSFER", o.BytesPerSecond != nil,
		aws.ToString(in.Includes[0].Value) != "/photos*", aws.ToString(in.Excludes[0].Value) != "*.tmp|*/.cache",
		in.Excludes[0].FilterType != dstypes.FilterTypeSimplePattern,
		aws.ToString(in.Schedule.ScheduleExpression) != "rate(1 day)", in.CloudWatchLogGroupArn != nil,
		aws.ToString(in.TaskReportConfig.Destination.S3.Subdirectory) != "datasync", in.TaskReportConfig.ReportLevel != "ERRORS_ONLY":
		t.Errorf("CreateTask input = %+v, options %+v", in, o)
	}
	// ENHANCED takes no bandwidth limit; S3 is not POSIX: those options stay unset.
	if o.PosixPermissions != "" || o.Uid != "" || o.Gid != "" || o.Mtime != "" {
		t.Errorf("POSIX options set: %+v", o)
	}
}

func TestBasicTaskBandwidthLimitIsSetAndCleared(t *testing.T) {
	w := newWorld()
	h := w.handler()
	old := taskFixture(t, w, h)
	old.TaskMode, old.BytesPerSecond = "BASIC", "1048576"
	arn := mustHandle(t, h, event(cfn.RequestCreate, resource.TypeTask, "", old, nil)).PhysicalID
	if got := aws.ToInt64(w.tasks[arn].in.Options.BytesPerSecond); got != 1048576 {
		t.Fatalf("BytesPerSecond = %d", got)
	}
	p := old
	p.BytesPerSecond = "-1"
	mustHandle(t, h, event(cfn.RequestUpdate, resource.TypeTask, arn, p, old))
	if got := aws.ToInt64(w.tasks[arn].update.Options.BytesPerSecond); got != -1 {
		t.Errorf("limit not cleared: BytesPerSecond = %d", got)
	}
}

func TestTaskUpdateInPlaceClearsRemovedSettings(t *testing.T) {
	w := newWorld()
	h := w.handler()
	old := taskFixture(t, w, h)
	arn := mustHandle(t, h, event(cfn.RequestCreate, resource.TypeTask, "", old, nil)).PhysicalID

	p := old
	p.OverwriteMode, p.Includes, p.Schedule, p.ReportBucketArn = "NEVER", "", "", ""
	res := mustHandle(t, h, event(cfn.RequestUpdate, resource.TypeTask, arn, p, old))

	if res.PhysicalID != arn || w.count("CreateTask") != 1 {
		t.Fatalf("want in-place update, calls %v", w.calls)
	}
	u := w.tasks[arn].update
	if u.Options.OverwriteMode != "NEVER" || u.Includes == nil || len(u.Includes) != 0 ||
		aws.ToString(u.Schedule.ScheduleExpression) != "" || u.TaskReportConfig == nil || u.TaskReportConfig.Destination != nil {
		t.Errorf("UpdateTask input = %+v", u)
	}
}

func TestTaskUpdateWithReplacement(t *testing.T) {
	for name, change := range map[string]func(*resource.TaskProps){
		"mode":     func(p *resource.TaskProps) { p.TaskMode = "BASIC" },
		"location": func(p *resource.TaskProps) { p.DestinationLocationArn = p.SourceLocationArn },
	} {
		t.Run(name, func(t *testing.T) {
			w := newWorld()
			h := w.handler()
			old := taskFixture(t, w, h)
			oldArn := mustHandle(t, h, event(cfn.RequestCreate, resource.TypeTask, "", old, nil)).PhysicalID
			p := old
			change(&p)
			newArn := mustHandle(t, h, event(cfn.RequestUpdate, resource.TypeTask, oldArn, p, old)).PhysicalID
			if newArn == oldArn || w.count("UpdateTask") != 0 || w.count("CreateTask") != 2 {
				t.Fatalf("want a new task, got %s (calls %v)", newArn, w.calls)
			}
			mustHandle(t, h, event(cfn.RequestDelete, resource.TypeTask, oldArn, old, nil))
			if _, ok := w.tasks[oldArn]; ok {
				t.Error("old task not deleted")
			}
		})
	}
}

func TestTaskExecutionStartsOnceWhenTaskIsAvailable(t *testing.T) {
	w := newWorld()
	h := w.handler()
	tp := taskFixture(t, w, h)
	taskArn := mustHandle(t, h, event(cfn.RequestCreate, resource.TypeTask, "", tp, nil)).PhysicalID
	w.tasks[taskArn].status = []dstypes.TaskStatus{"CREATING", "CREATING", "AVAILABLE"}

	p := resource.TaskExecutionProps{Region: "us-west-2", TaskArn: taskArn}
	exec := mustHandle(t, h, event(cfn.RequestCreate, resource.TypeTaskExecution, "", p, nil)).PhysicalID
	if len(w.executions) != 1 || exec != w.executions[0] || w.count("DescribeTask") != 3 {
		t.Fatalf("executions %v, calls %v", w.executions, w.calls)
	}
	// An update that keeps the task starts nothing; a new task starts a new execution.
	mustHandle(t, h, event(cfn.RequestUpdate, resource.TypeTaskExecution, exec, p, p))
	if len(w.executions) != 1 {
		t.Fatalf("update without a new task started an execution")
	}
	tp2 := tp
	tp2.TaskMode = "BASIC"
	task2 := mustHandle(t, h, event(cfn.RequestUpdate, resource.TypeTask, taskArn, tp2, tp)).PhysicalID
	p2 := resource.TaskExecutionProps{Region: "us-west-2", TaskArn: task2}
	mustHandle(t, h, event(cfn.RequestUpdate, resource.TypeTaskExecution, exec, p2, p))
	if len(w.executions) != 2 {
		t.Fatalf("a replaced task got no execution: %v", w.executions)
	}
	mustHandle(t, h, event(cfn.RequestDelete, resource.TypeTaskExecution, exec, p2, nil))
}

func TestOwnershipControlsEnforcedAndLeftOnDelete(t *testing.T) {
	w := newWorld()
	h := w.handler()
	p := resource.OwnershipControlsProps{Region: "us-west-2", Bucket: "acme-dst"}
	res := mustHandle(t, h, event(cfn.RequestCreate, resource.TypeOwnershipControls, "", p, nil))
	if w.ownership["acme-dst"] != "BucketOwnerEnforced" {
		t.Fatalf("ownership = %q", w.ownership["acme-dst"])
	}
	w.ownership["acme-dst"] = "ObjectWriter" // someone turned ACLs back on; the next update fixes it
	mustHandle(t, h, event(cfn.RequestUpdate, resource.TypeOwnershipControls, res.PhysicalID, p, p))
	if w.ownership["acme-dst"] != "BucketOwnerEnforced" {
		t.Fatalf("update left ownership %q", w.ownership["acme-dst"])
	}
	mustHandle(t, h, event(cfn.RequestDelete, resource.TypeOwnershipControls, res.PhysicalID, p, nil))
	if w.ownership["acme-dst"] != "BucketOwnerEnforced" || w.count("PutBucketOwnershipControls") != 2 {
		t.Errorf("delete changed ownership controls: %v", w.calls)
	}
}

func TestLogsResourcePolicyIsSharedAndDeletedWithTheLastTask(t *testing.T) {
	w := newWorld()
	h := w.handler()
	tp := taskFixture(t, w, h)
	tp.TaskMode, tp.CloudWatchLogGroupArn = "BASIC", "arn:aws:logs:us-west-2:111111111111:log-group:/aws/datasync/other"
	mustHandle(t, h, event(cfn.RequestCreate, resource.TypeTask, "", tp, nil))

	p := resource.LogsResourcePolicyProps{Region: "us-west-2", PolicyName: "DataSyncLogs", PolicyDocument: `{"Statement":[]}`, LogGroupPrefix: "/aws/datasync/"}
	id := mustHandle(t, h, event(cfn.RequestCreate, resource.TypeLogsResourcePolicy, "", p, nil)).PhysicalID
	mustHandle(t, h, event(cfn.RequestCreate, resource.TypeLogsResourcePolicy, "", p, nil)) // a second transfer: same policy
	if len(w.logPolicy) != 1 {
		t.Fatalf("want one shared policy, got %v", w.logPolicy)
	}
	mustHandle(t, h, event(cfn.RequestDelete, resource.TypeLogsResourcePolicy, id, p, nil))
	if len(w.logPolicy) != 1 {
		t.Fatal("policy deleted while another task still logs under the prefix")
	}
	for arn := range w.tasks {
		delete(w.tasks, arn)
	}
	mustHandle(t, h, event(cfn.RequestDelete, resource.TypeLogsResourcePolicy, id, p, nil))
	if len(w.logPolicy) != 0 {
		t.Fatal("policy kept after the last task")
	}
}

func TestUnknownResourceTypeFailsButDeletes(t *testing.T) {
	h := newWorld().handler()
	if _, err := h.Handle(context.Background(), event(cfn.RequestCreate, "Custom::Nope", "", struct{}{}, nil)); err == nil {
		t.Error("create of an unknown type succeeded")
	}
	if _, err := h.Handle(context.Background(), event(cfn.RequestDelete, "Custom::Nope", "x", struct{}{}, nil)); err != nil {
		t.Errorf("delete of an unknown type failed: %v", err)
	}
}
