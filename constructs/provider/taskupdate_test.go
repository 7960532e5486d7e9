package provider

import (
	"context"
	"testing"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datasync"
	dstypes "github.com/aws/aws-sdk-go-v2/service/datasync/types"

	"github.com/s3transfer/cdk-datasync/constructs/provider/resource"
)

// TestUpdateOfATaskThatNeverLogged: a BASIC task with logLevel OFF and no log group
// gets an UpdateTask without CloudWatchLogGroupArn; "" does not match LogGroupArn's
// pattern and there is nothing to clear (the fake refuses "" for such a task).
func TestUpdateOfATaskThatNeverLogged(t *testing.T) {
	w := newWorld()
	h := w.handler()
	tp := taskFixture(t, w, h)
	tp.TaskMode, tp.LogLevel, tp.ReportBucketArn, tp.ReportRoleArn, tp.ReportLevel = "BASIC", "OFF", "", "", ""
	arn := mustHandle(t, h, event(cfn.RequestCreate, resource.TypeTask, "", tp, nil)).PhysicalID
	next := tp
	next.OverwriteMode = "NEVER"
	mustHandle(t, h, event(cfn.RequestUpdate, resource.TypeTask, arn, next, tp))
	if u := w.tasks[arn].update; u == nil || u.CloudWatchLogGroupArn != nil {
		t.Fatalf("UpdateTask of a task without a log group set CloudWatchLogGroupArn: %+v", u)
	}
	if got := w.tasks[arn].describe(arn).Options.OverwriteMode; got != "NEVER" {
		t.Errorf("the update did not take effect: OverwriteMode %s", got)
	}
}

// pauseSchedule does what `transfers pause` does (app/operate/pause.go).
func pauseSchedule(t *testing.T, h *Handler, arn, expression string, status dstypes.ScheduleStatus) {
	t.Helper()
	_, err := h.DataSync("us-west-2").UpdateTask(context.Background(), &datasync.UpdateTaskInput{TaskArn: aws.String(arn),
		Schedule: &dstypes.TaskSchedule{ScheduleExpression: aws.String(expression), Status: status}})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDeployKeepsTheScheduleStatus: a deploy that changes a task setting, or the
// rollback's UpdateTask, leaves a schedule paused by `transfers pause` (or disabled
// by DataSync) as it is: the Schedule is left out of UpdateTask when its expression
// is unchanged, and a new expression is sent with the current status.
func TestDeployKeepsTheScheduleStatus(t *testing.T) {
	w := newWorld()
	h := w.handler()
	tp := taskFixture(t, w, h) // rate(1 day)
	arn := mustHandle(t, h, event(cfn.RequestCreate, resource.TypeTask, "", tp, nil)).PhysicalID
	schedule := func() (string, dstypes.ScheduleStatus) {
		sc := w.tasks[arn].describe(arn).Schedule
		if sc == nil {
			return "", ""
		}
		return aws.ToString(sc.ScheduleExpression), sc.Status
	}
	if e, s := schedule(); e != "rate(1 day)" || s != dstypes.ScheduleStatusEnabled {
		t.Fatalf("created with schedule %q %s", e, s)
	}
	pauseSchedule(t, h, arn, "rate(1 day)", dstypes.ScheduleStatusDisabled)

	// A deploy that changes another setting, then its rollback.
	next := tp
	next.OverwriteMode = "NEVER"
	mustHandle(t, h, event(cfn.RequestUpdate, resource.TypeTask, arn, next, tp))
	if u := w.tasks[arn].update; u.Schedule != nil {
		t.Errorf("UpdateTask with an unchanged schedule expression sent Schedule %+v", *u.Schedule)
	}
	if e, s := schedule(); e != "rate(1 day)" || s != dstypes.ScheduleStatusDisabled {
		t.Errorf("after a deploy: schedule %q %s, want rate(1 day) DISABLED", e, s)
	}
	mustHandle(t, h, event(cfn.RequestUpdate, resource.TypeTask, arn, tp, next))
	if e, s := schedule(); e != "rate(1 day)" || s != dstypes.ScheduleStatusDisabled {
		t.Errorf("after the rollback: schedule %q %s, want rate(1 day) DISABLED", e, s)
	}

	// A new expression keeps the status.
	twice := tp
	twice.Schedule = "rate(12 hours)"
	mustHandle(t, h, event(cfn.RequestUpdate, resource.TypeTask, arn, twice, tp))
	if e, s := schedule(); e != "rate(12 hours)" || s != dstypes.ScheduleStatusDisabled {
		t.Errorf("after a new expression: schedule %q %s, want rate(12 hours) DISABLED", e, s)
	}

	// No schedule in the config removes it; a schedule added later starts enabled.
	none := tp
	none.Schedule = ""
	mustHandle(t, h, event(cfn.RequestUpdate, resource.TypeTask, arn, none, twice))
	if e, _ := schedule(); e != "" {
		t.Errorf("schedule %q kept after it was removed from the config", e)
	}
	mustHandle(t, h, event(cfn.RequestUpdate, resource.TypeTask, arn, tp, none))
	if e, s := schedule(); e != "rate(1 day)" || s != dstypes.ScheduleStatusEnabled {
		t.Errorf("a schedule added: %q %s, want rate(1 day) ENABLED", e, s)
	}
}
