package provider

import (
	"testing"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/s3transfer/cdk-datasync/constructs/provider/resource"
)

// TestLoggingOffReleasesTheLogGroupAndThePolicy: a BASIC task that logged goes to
// logLevel OFF. UpdateTask must take the log group off the task (an empty
// CloudWatchLogGroupArn; leaving it out keeps it), so that the shared CloudWatch Logs
// resource policy, whose delete checks that no task logs under /aws/datasync/ any
// more, is removed with the stack's LogsResourcePolicy resource.
func TestLoggingOffReleasesTheLogGroupAndThePolicy(t *testing.T) {
	w := newWorld()
	h := w.handler()
	on := taskFixture(t, w, h)
	on.TaskMode, on.LogLevel = "BASIC", "BASIC"
	on.CloudWatchLogGroupArn = "arn:aws:logs:us-west-2:111111111111:log-group:/aws/datasync/t"
	arn := mustHandle(t, h, event(cfn.RequestCreate, resource.TypeTask, "", on, nil)).PhysicalID
	lp := resource.LogsResourcePolicyProps{Region: "us-west-2", PolicyName: "datasync-transfers-log-delivery", PolicyDocument: "{}", LogGroupPrefix: "/aws/datasync/"}
	policy := mustHandle(t, h, event(cfn.RequestCreate, resource.TypeLogsResourcePolicy, "", lp, nil)).PhysicalID

	off := on
	off.LogLevel, off.CloudWatchLogGroupArn = "OFF", ""
	if got := mustHandle(t, h, event(cfn.RequestUpdate, resource.TypeTask, arn, off, on)).PhysicalID; got != arn {
		t.Fatalf("turning logging off replaced the task: %s -> %s", arn, got)
	}
	u := w.tasks[arn].update
	if u == nil || u.CloudWatchLogGroupArn == nil || *u.CloudWatchLogGroupArn != "" || u.Options.LogLevel != "OFF" {
		t.Fatalf("UpdateTask did not clear the log group: %+v", u)
	}
	if g := w.tasks[arn].describe(arn).CloudWatchLogGroupArn; g != nil {
		t.Fatalf("the task still points at %s", aws.ToString(g))
	}
	// The update's cleanup deletes the LogsResourcePolicy resource of the old template.
	mustHandle(t, h, event(cfn.RequestDelete, resource.TypeLogsResourcePolicy, policy, lp, nil))
	if len(w.logPolicy) != 0 {
		t.Errorf("the logs resource policy was kept: %v", w.logPolicy)
	}

	// An ENHANCED task's log group (/aws/datasync, set by DataSync) is left alone.
	en := taskFixture(t, w, h)
	enArn := mustHandle(t, h, event(cfn.RequestCreate, resource.TypeTask, "", en, nil)).PhysicalID
	en2 := en
	en2.LogLevel = "OFF"
	mustHandle(t, h, event(cfn.RequestUpdate, resource.TypeTask, enArn, en2, en))
	if u := w.tasks[enArn].update; u == nil || u.CloudWatchLogGroupArn != nil {
		t.Errorf("UpdateTask of an ENHANCED task set CloudWatchLogGroupArn: %+v", u)
	}
}
