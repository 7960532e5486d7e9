package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/smithy-go"

	"github.com/s3transfer/cdk-datasync/constructs/provider/resource"
)

// deliver runs e through the Lambda entry point, as CloudFormation's asynchronous
// invocation does, and returns CloudFormation's answer. Invoke must return nil.
func deliver(t *testing.T, f *Function, cf *cloudFormation, e cfn.Event) cfn.Response {
	t.Helper()
	e.ResponseURL = cf.URL
	if err := f.Invoke(context.Background(), e); err != nil {
		t.Fatalf("Invoke returned %v: Lambda would run the event again", err)
	}
	return cf.answer(t)
}

func mustSucceed(t *testing.T, r cfn.Response) string {
	t.Helper()
	if r.Status != cfn.StatusSuccess {
		t.Fatalf("answer = %+v", r)
	}
	return r.PhysicalResourceID
}

func TestCreateDeliveredTwiceMakesOneObject(t *testing.T) {
	w := newWorld()
	h := w.handler()
	f := &Function{Handler: h, Margin: time.Second}
	cf := newCloudFormation(t)
	// Earlier objects of the same stack and logical ID (other requests), on the same
	// bucket and task: the lookup must not take them for this request's.
	tp := taskFixture(t, w, h)
	earlierTask := mustHandle(t, h, event(cfn.RequestCreate, resource.TypeTask, "", tp, nil)).PhysicalID
	mustHandle(t, h, event(cfn.RequestCreate, resource.TypeTaskExecution, "", resource.TaskExecutionProps{Region: "us-west-2", TaskArn: earlierTask}, nil))

	for _, c := range []struct {
		name  string
		e     cfn.Event
		count func() int
	}{
		{"location", event(cfn.RequestCreate, resource.TypeS3Location, "", dstLocation(), nil), func() int { return len(w.locations) }},
		{"task", event(cfn.RequestCreate, resource.TypeTask, "", tp, nil), func() int { return len(w.tasks) }},
		{"execution", event(cfn.RequestCreate, resource.TypeTaskExecution, "", resource.TaskExecutionProps{Region: "us-west-2", TaskArn: earlierTask}, nil),
			func() int { return len(w.executions) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := c.count()
			first := mustSucceed(t, deliver(t, f, cf, c.e))
			second := mustSucceed(t, deliver(t, f, cf, c.e))
			if first != second {
				t.Errorf("the same request answered %s, then %s", first, second)
			}
			if got := c.count() - before; got != 1 {
				t.Errorf("two deliveries of one create made %d objects", got)
			}
		})
	}
}

func TestDuplicateOfAReplacingUpdateMakesOneNewObject(t *testing.T) {
	w := newWorld()
	h := w.handler()
	old := dstLocation()
	oldArn := mustHandle(t, h, event(cfn.RequestCreate, resource.TypeS3Location, "", old, nil)).PhysicalID
	p := old
	p.S3BucketArn = "arn:aws:s3:::acme-other"
	u := event(cfn.RequestUpdate, resource.TypeS3Location, oldArn, p, old)
	first := mustHandle(t, h, u).PhysicalID
	second := mustHandle(t, h, u).PhysicalID
	if first == oldArn || second != first || len(w.locations) != 2 {
		t.Fatalf("update delivered twice: %s then %s (old %s), %d locations", first, second, oldArn, len(w.locations))
	}

	// A task-mode change: the old task has the same stack and logical ID and the same
	// source location, but not this request's ID.
	tp := taskFixture(t, w, h)
	oldTask := mustHandle(t, h, event(cfn.RequestCreate, resource.TypeTask, "", tp, nil)).PhysicalID
	tp2 := tp
	tp2.TaskMode = "BASIC"
	ut := event(cfn.RequestUpdate, resource.TypeTask, oldTask, tp2, tp)
	newTask := mustHandle(t, h, ut).PhysicalID
	if again := mustHandle(t, h, ut).PhysicalID; newTask == oldTask || again != newTask || len(w.tasks) != 2 {
		t.Fatalf("task replaced twice: %s then %s (old %s), %d tasks", newTask, again, oldTask, len(w.tasks))
	}
}

// cutOffByDeadline is how a call cut off by the end of the function's time (the
// Lambda deadline less the margin) looks to the SDK's caller; the provider then
// answers at once, and a create may have taken effect.
func cutOffByDeadline(op string) error {
	return &smithy.OperationError{ServiceID: "DataSync", OperationName: op, Err: fmt.Errorf("failed to get rate limit token: %w", context.DeadlineExceeded)}
}

// connectionReset is how a response lost on the way back looks to the SDK's caller.
func connectionReset(op string) error {
	return &smithy.OperationError{ServiceID: "DataSync", OperationName: op,
		Err: errors.New("read tcp 10.0.0.7:41234->52.94.232.0:443: read: connection reset by peer")}
}

func TestRollbackOfAFailedCreateDeletesWhatItLeft(t *testing.T) {
	w := newWorld()
	h := w.handler()
	f := &Function{Handler: h, Margin: time.Second}
	cf := newCloudFormation(t)
	tp := taskFixture(t, w, h)
	keptLocations := len(w.locations)

	for _, c := range []struct {
		name, op string
		e        cfn.Event
		exists   func(arn string) bool
		count    func() int
	}{
		{"location", "CreateLocationS3", event(cfn.RequestCreate, resource.TypeS3Location, "", dstLocation(), nil),
			func(a string) bool { _, ok := w.locations[a]; return ok }, func() int { return len(w.locations) }},
		{"task", "CreateTask", event(cfn.RequestCreate, resource.TypeTask, "", tp, nil),
			func(a string) bool { _, ok := w.tasks[a]; return ok }, func() int { return len(w.tasks) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := c.count()
			w.lose[c.op] = []error{cutOffByDeadline(c.op)}
			r := deliver(t, f, cf, c.e)
			if r.Status != cfn.StatusFailed || !strings.Contains(r.Reason, "deadline exceeded") || c.count() != before+1 {
				t.Fatalf("answer %+v with %d objects (before %d)", r, c.count(), before)
			}
			// CloudFormation rolls back: a delete of the placeholder, a new request.
			del := event(cfn.RequestDelete, c.e.ResourceType, r.PhysicalResourceID, c.e.ResourceProperties, nil)
			del.ResourceProperties = c.e.ResourceProperties
			if got := mustSucceed(t, deliver(t, f, cf, del)); got != r.PhysicalResourceID {
				t.Errorf("delete answered physical ID %s", got)
			}
			if c.count() != before {
				t.Errorf("the rollback left %d objects, want %d", c.count(), before)
			}
		})
	}
	if len(w.locations) != keptLocations {
		t.Errorf("the rollback deleted other requests' locations: %d left of %d", len(w.locations), keptLocations)
	}
}

func TestRollbackOfACreateThatMadeNothingDeletesNothing(t *testing.T) {
	w := newWorld()
	h := w.handler()
	f := &Function{Handler: h, Margin: time.Second}
	cf := newCloudFormation(t)
	mustHandle(t, h, event(cfn.RequestCreate, resource.TypeS3Location, "", dstLocation(), nil)) // another request's
	w.fail["CreateLocationS3"] = []error{invalidRequest("Invalid S3 storage class: GLACIER_IR is not supported for this location")}
	e := event(cfn.RequestCreate, resource.TypeS3Location, "", dstLocation(), nil)
	r := deliver(t, f, cf, e)
	if r.Status != cfn.StatusFailed || !strings.HasPrefix(r.PhysicalResourceID, "create-failed-") {
		t.Fatalf("answer = %+v", r)
	}
	del := event(cfn.RequestDelete, resource.TypeS3Location, r.PhysicalResourceID, dstLocation(), nil)
	mustSucceed(t, deliver(t, f, cf, del))
	if w.count("DeleteLocation") != 0 || len(w.locations) != 1 {
		t.Errorf("rollback of a create that made nothing deleted something: %v", w.calls)
	}
}

func TestRollbackFailsWhenItCannotLookForLeftovers(t *testing.T) {
	w := newWorld()
	deny := apiError("AccessDeniedException", "User: arn:aws:sts::111111111111:assumed-role/t-location-admin/provider is not authorized "+
		"to perform: datasync:ListTasks on resource: arn:aws:datasync:us-west-2:111111111111:* with an explicit deny in a service control policy")
	w.fail["ListTasks"] = []error{deny}
	e := event(cfn.RequestDelete, resource.TypeTask, "create-failed-0f1e2d3c", resource.TaskProps{Region: "us-west-2", SourceLocationArn: "arn:aws:datasync:us-west-2:111111111111:location/loc-00000000000000001"}, nil)
	_, err := w.handler().Handle(context.Background(), e)
	if err == nil || !strings.Contains(err.Error(), "explicit deny in a service control policy") {
		t.Fatalf("want the AWS error, got %v", err)
	}
}
