package provider

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datasync"
	dstypes "github.com/aws/aws-sdk-go-v2/service/datasync/types"

	"github.com/s3transfer/cdk-datasync/constructs/provider/resource"
)

// Sizes of the large account the call bounds are checked against.
const (
	bigTasks     = 2000
	bigLocations = 4000
	bigBuckets   = 40 // locations spread evenly: 100 per bucket
)

// bigAccount fills w with bigLocations S3 locations in us-west-2 on bigBuckets
// buckets (acme-bucket-00 ...), each under its own prefix, and bigTasks tasks
// between them, half BASIC and half ENHANCED, none logging under /aws/datasync/.
// Every object carries another stack's tags and a Name, as in an account where
// many teams deploy transfers. Lists page by 100 unless a call asks otherwise.
func bigAccount(w *world) {
	w.pageSize = 100
	var locs []string
	for i := range bigLocations {
		arn := fmt.Sprintf("arn:aws:datasync:us-west-2:111111111111:location/loc-%017d", w.next())
		bucket := fmt.Sprintf("acme-bucket-%02d", i%bigBuckets)
		sub := fmt.Sprintf("team-%04d", i)
		w.locations[arn] = &fakeLocation{
			in: &datasync.CreateLocationS3Input{S3BucketArn: aws.String("arn:aws:s3:::" + bucket), Subdirectory: aws.String(sub),
				S3Config: &dstypes.S3Config{BucketAccessRoleArn: aws.String("arn:aws:iam::111111111111:role/other")}},
			uri: "s3://" + bucket + "/" + sub + "/",
		}
		w.tags[arn] = owner{"arn:aws:cloudformation:us-west-2:111111111111:stack/other/1", "SourceLocation", fmt.Sprintf("req-%d", i)}.tags(sub)
		locs = append(locs, arn)
	}
	for i := range bigTasks {
		arn := fmt.Sprintf("arn:aws:datasync:us-west-2:111111111111:task/task-%017d", w.next())
		mode := dstypes.TaskModeBasic
		if i%2 == 1 {
			mode = dstypes.TaskModeEnhanced
		}
		in := &datasync.CreateTaskInput{SourceLocationArn: aws.String(locs[2*i]), DestinationLocationArn: aws.String(locs[2*i+1]),
			Name: aws.String(fmt.Sprintf("other-%04d", i)), TaskMode: mode}
		if mode == dstypes.TaskModeBasic {
			in.CloudWatchLogGroupArn = aws.String("arn:aws:logs:us-west-2:111111111111:log-group:/teams/other-" + fmt.Sprint(i))
		}
		w.tasks[arn] = &fakeTask{in: in, status: []dstypes.TaskStatus{dstypes.TaskStatusAvailable}}
		w.tags[arn] = owner{"arn:aws:cloudformation:us-west-2:111111111111:stack/other/1", "Task", fmt.Sprintf("req-t-%d", i)}.tags(aws.ToString(in.Name))
	}
}

// callsOf runs one request against w and returns its result and how many calls of
// each operation it made, with the total.
func callsOf(t *testing.T, w *world, e cfn.Event) (Result, map[string]int, int) {
	t.Helper()
	w.mu.Lock()
	start := len(w.calls)
	w.mu.Unlock()
	res, err := w.handler().Handle(context.Background(), e)
	if err != nil {
		t.Fatalf("%s %s: %v", e.RequestType, e.ResourceType, err)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	counts := map[string]int{}
	for _, c := range w.calls[start:] {
		counts[c]++
	}
	return res, counts, len(w.calls) - start
}

// TestCallsStayBoundedInALargeAccount counts the DataSync calls of each create
// lookup and each delete in an account with 2,000 tasks and 4,000 locations, and
// asserts a bound that does not grow with the account: lists are narrowed by
// DataSync's server-side filters and page by 100, and only the candidates a filter
// leaves have their tags read.
func TestCallsStayBoundedInALargeAccount(t *testing.T) {
	w := newWorld()
	bigAccount(w)
	// Our own objects: a source location on a shared bucket (100 other locations on
	// it), a destination location, a task, with 5 other tasks on our source location.
	src := dstLocation()
	src.S3BucketArn, src.Subdirectory = "arn:aws:s3:::acme-bucket-07", "ours"
	srcArn := mustHandle(t, w.handler(), event(cfn.RequestCreate, resource.TypeS3Location, "", src, nil)).PhysicalID
	dstArn := mustHandle(t, w.handler(), event(cfn.RequestCreate, resource.TypeS3Location, "", dstLocation(), nil)).PhysicalID
	tp := resource.TaskProps{Region: "us-west-2", SourceLocationArn: srcArn, DestinationLocationArn: dstArn, Name: "ours",
		TaskMode: "BASIC", LogLevel: "BASIC", VerifyMode: "ONLY_FILES_TRANSFERRED", OverwriteMode: "ALWAYS", TransferMode: "CHANGED",
		PreserveDeletedFiles: "PRESERVE", ObjectTags: "PRESERVE",
		CloudWatchLogGroupArn: "arn:aws:logs:us-west-2:111111111111:log-group:/aws/datasync/ours"}
	for i := range 5 {
		other := tp
		other.Name, other.CloudWatchLogGroupArn = fmt.Sprintf("same-source-%d", i), ""
		mustHandle(t, w.handler(), event(cfn.RequestCreate, resource.TypeTask, "", other, nil))
	}
	lp := resource.LogsResourcePolicyProps{Region: "us-west-2", PolicyName: "datasync-transfers-log-delivery", PolicyDocument: "{}", LogGroupPrefix: "/aws/datasync/"}
	mustHandle(t, w.handler(), event(cfn.RequestCreate, resource.TypeLogsResourcePolicy, "", lp, nil))

	type step struct {
		name  string
		event func() cfn.Event
		bound func() int
	}
	fixed := func(n int) func() int { return func() int { return n } }
	// The bounds are the calls the lookup needs, counted from the fixture, plus one.
	const margin = 1
	var taskArn string
	steps := []step{
		{"create source location (lookup + create)", func() cfn.Event {
			p := src
			p.Subdirectory = "ours-too"
			return event(cfn.RequestCreate, resource.TypeS3Location, "", p, nil)
		}, fixed(1 + 1 + margin)}, // one filtered list page (nothing else under s3://acme-bucket-07/ours-too), the create
		// One filtered list page, the tags of the 5 other tasks on our source location, the create.
		{"create task (lookup + create)", func() cfn.Event { return event(cfn.RequestCreate, resource.TypeTask, "", tp, nil) }, fixed(1 + 5 + 1 + margin)},
		{"start execution (lookup + start)", func() cfn.Event {
			return event(cfn.RequestCreate, resource.TypeTaskExecution, "", resource.TaskExecutionProps{Region: "us-west-2", TaskArn: taskArn}, nil)
		}, fixed(1 + 1 + 1 + margin)}, // the task's executions (none), DescribeTask (AVAILABLE?), the start
		{"delete of a failed location create (lookup)", func() cfn.Event {
			return event(cfn.RequestDelete, resource.TypeS3Location, "create-failed-0f1e2d3c", src, nil)
		}, fixed(1 + 2 + margin)}, // one list page; the tags of the 2 locations under s3://acme-bucket-07/ours
		{"delete of a failed task create (lookup)", func() cfn.Event {
			return event(cfn.RequestDelete, resource.TypeTask, "create-failed-0f1e2d3c", tp, nil)
		}, fixed(1 + 6 + margin)}, // one list page; the tags of the 6 tasks on our source location
		{"delete task", func() cfn.Event { return event(cfn.RequestDelete, resource.TypeTask, taskArn, tp, nil) }, fixed(1)},
		{"delete location", func() cfn.Event { return event(cfn.RequestDelete, resource.TypeS3Location, srcArn, src, nil) }, fixed(1)},
		// No task logs under /aws/datasync/ any more: every BASIC task is read (no list
		// filter selects by log group), ENHANCED ones are not.
		{"delete logs resource policy (no task uses it)", func() cfn.Event {
			return event(cfn.RequestDelete, resource.TypeLogsResourcePolicy, lp.PolicyName, lp, nil)
		}, func() int {
			basic := 0
			for _, tk := range w.tasks {
				if tk.in.TaskMode == dstypes.TaskModeBasic {
					basic++
				}
			}
			return (len(w.tasks)+99)/100 + basic + 1
		}},
	}
	for _, s := range steps {
		e := s.event()
		res, counts, total := callsOf(t, w, e)
		t.Logf("%-48s %5d calls %v", s.name, total, counts)
		if bound := s.bound(); total > bound {
			t.Errorf("%s: %d calls, want at most %d", s.name, total, bound)
		}
		if e.RequestType == cfn.RequestCreate && e.ResourceType == resource.TypeTask {
			taskArn = res.PhysicalID
		}
	}
	if _, ok := w.logPolicy["us-west-2/"+lp.PolicyName]; ok {
		t.Error("the logs resource policy was kept though no task logs under /aws/datasync/")
	}
}

// TestReadsRunConcurrentlyWithinTheLimit: reads that take 2 ms each (a DataSync round
// trip is longer) overlap, never more than readLimit at once, so the scan of a
// 2,000-task account for the logs policy takes a fraction of the sequential time.
func TestReadsRunConcurrentlyWithinTheLimit(t *testing.T) {
	w := newWorld()
	bigAccount(w)
	w.latency = 2 * time.Millisecond
	lp := resource.LogsResourcePolicyProps{Region: "us-west-2", PolicyName: "datasync-transfers-log-delivery", PolicyDocument: "{}", LogGroupPrefix: "/aws/datasync/"}
	mustHandle(t, w.handler(), event(cfn.RequestCreate, resource.TypeLogsResourcePolicy, "", lp, nil))
	start := time.Now()
	_, counts, _ := callsOf(t, w, event(cfn.RequestDelete, resource.TypeLogsResourcePolicy, lp.PolicyName, lp, nil))
	took := time.Since(start)
	sequential := time.Duration(counts["DescribeTask"]) * w.latency
	t.Logf("%d DescribeTask calls of %s each in %s (sequential: at least %s), at most %d in flight",
		counts["DescribeTask"], w.latency, took.Round(time.Millisecond), sequential, w.maxInFlight.Load())
	if got := w.maxInFlight.Load(); got > readLimit || got < 2 {
		t.Errorf("%d reads in flight at once, want 2 to %d", got, readLimit)
	}
	if took >= sequential {
		t.Errorf("the reads took %s, no faster than one at a time (%s)", took, sequential)
	}
}
