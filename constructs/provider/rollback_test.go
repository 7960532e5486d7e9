package provider

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/s3transfer/cdk-datasync/constructs/provider/resource"
)

// stackConfig is what a source stack's four provider resources are made from.
type stackConfig struct {
	srcBucket, srcRegion, srcSub, dstBucket, dstRegion, mode string
}

// stackOrder is the order CloudFormation creates and updates the resources in (by
// their references); deletes run in reverse.
var stackOrder = []string{"SourceLocation", "DestinationLocation", "Task", "Execution"}

// template is the stack's resources' properties, references resolved to the physical
// IDs in phys, as CloudFormation passes them.
func (c stackConfig) template(phys map[string]string) map[string]any {
	role := "arn:aws:iam::111111111111:role/datasync-t-bucket-access"
	return map[string]any{
		"SourceLocation": resource.LocationProps{Region: c.srcRegion, S3BucketArn: "arn:aws:s3:::" + c.srcBucket, Subdirectory: c.srcSub,
			BucketAccessRoleArn: role, Name: "t-source"},
		"DestinationLocation": resource.LocationProps{Region: c.dstRegion, S3BucketArn: "arn:aws:s3:::" + c.dstBucket, Subdirectory: "archive",
			S3StorageClass: "STANDARD", BucketAccessRoleArn: role, Name: "t-destination"},
		"Task": resource.TaskProps{Region: c.dstRegion, SourceLocationArn: phys["SourceLocation"], DestinationLocationArn: phys["DestinationLocation"],
			Name: "t", TaskMode: c.mode, VerifyMode: "ONLY_FILES_TRANSFERRED", OverwriteMode: "ALWAYS", TransferMode: "CHANGED",
			PreserveDeletedFiles: "PRESERVE", ObjectTags: "PRESERVE", LogLevel: "TRANSFER", BytesPerSecond: "-1", Schedule: "rate(1 day)"},
		"Execution": resource.TaskExecutionProps{Region: c.dstRegion, TaskArn: phys["Task"]},
	}
}

var resourceTypes = map[string]string{
	"SourceLocation": resource.TypeS3Location, "DestinationLocation": resource.TypeS3Location, "Task": resource.TypeTask, "Execution": resource.TypeTaskExecution,
}

// stack replays CloudFormation's requests for one stack against the fakes.
type stack struct {
	t     *testing.T
	w     *world
	phys  map[string]string // current physical ID by logical ID
	props map[string]any    // properties last applied (or attempted) by logical ID
}

func (s *stack) send(rt cfn.RequestType, id, physicalID string, props, old any) (string, error) {
	e := event(rt, resourceTypes[id], physicalID, props, old)
	e.LogicalResourceID = id
	res, err := s.w.handler().Handle(context.Background(), e)
	return res.PhysicalID, err
}

func deploy(t *testing.T, w *world, c stackConfig) *stack {
	s := &stack{t: t, w: w, phys: map[string]string{}, props: map[string]any{}}
	for _, id := range stackOrder {
		p := c.template(s.phys)[id]
		arn, err := s.send(cfn.RequestCreate, id, "", p, nil)
		if err != nil {
			t.Fatalf("create %s: %v", id, err)
		}
		s.phys[id], s.props[id] = arn, p
	}
	return s
}

// mutating are the calls that create or change something.
var mutating = []string{"CreateLocationS3", "UpdateLocationS3", "CreateTask", "UpdateTask", "StartTaskExecution"}

// creates are the calls that make something; DataSync takes no client token for them.
var creates = []string{"CreateLocationS3", "CreateTask", "StartTaskExecution"}

// How the first call that changes something of a resource's update goes wrong.
type fault int

const (
	failsBefore fault = iota // fails without taking effect
	cutOff                   // takes effect, then the Lambda deadline cuts the call off
	answerLost               // a create takes effect, its answer is lost, time is left
)

// update applies the template of c in order, as an update of the stack; when failAt
// names a resource, the first call of its update that changes something goes wrong
// as how says. It returns the resources it sent an Update, whether one failed, and
// the physical IDs the updates answered.
func (s *stack) update(c stackConfig, failAt string, how fault) (updated []string, failed bool, answered map[string]string) {
	answered = map[string]string{}
	for _, id := range stackOrder {
		p := c.template(s.phys)[id]
		if reflect.DeepEqual(resource.ToProperties(p), resource.ToProperties(s.props[id])) {
			continue
		}
		if id == failAt {
			for _, op := range mutating {
				switch how {
				case failsBefore:
					s.w.fail[op] = []error{invalidRequest("injected: " + op + " failed")}
				case cutOff:
					s.w.lose[op] = []error{cutOffByDeadline(op)}
				case answerLost:
					if slices.Contains(creates, op) {
						s.w.lose[op] = []error{connectionReset(op)}
					}
				}
			}
		}
		arn, err := s.send(cfn.RequestUpdate, id, s.phys[id], p, s.props[id])
		clear(s.w.fail)
		clear(s.w.lose)
		updated = append(updated, id)
		s.props[id] = p
		if err != nil {
			return updated, true, answered // CloudFormation keeps the old physical ID
		}
		answered[id], s.phys[id] = arn, arn
	}
	return updated, false, answered
}

// rollback sends the rollback's Update (the old properties, references resolved to
// the rolled-back physical IDs) to each updated resource, then the cleanup's Delete
// of every physical ID the update made that the rollback did not keep.
func (s *stack) rollback(old stackConfig, updated []string, answered, before map[string]string) {
	for _, id := range stackOrder {
		if !slices.Contains(updated, id) {
			continue
		}
		p := old.template(s.phys)[id]
		arn, err := s.send(cfn.RequestUpdate, id, s.phys[id], p, s.props[id])
		if err != nil {
			s.t.Fatalf("rollback of %s: %v", id, err)
		}
		s.phys[id], s.props[id] = arn, p
	}
	for _, id := range slices.Backward(stackOrder) {
		if made := answered[id]; made != "" && made != before[id] && made != s.phys[id] {
			if _, err := s.send(cfn.RequestDelete, id, made, s.props[id], nil); err != nil {
				s.t.Fatalf("cleanup delete of %s %s: %v", id, made, err)
			}
		}
	}
}

// TestRollbackKeepsTheOriginals replays both rollback sequences for every change that
// replaces something (and the subdirectory, which changes in place):
//   - the update of a resource fails: CloudFormation rolls it back with an Update
//     carrying the old properties, to the physical ID it kept;
//   - every update succeeds and another resource fails: each updated resource gets the
//     rollback's Update (to its new physical ID), then the cleanup deletes the new one.
//
// Each failing update is replayed three times: failing before it changes anything;
// taking effect and then cut off by the Lambda deadline (a create's object is then
// left where CloudFormation cannot see it; the rollback deletes it; not for the
// execution: a started execution cannot be taken back); and a create taking effect
// with its answer lost while time is left (the provider finds what its request made
// instead of creating again: the update succeeds with one new object, then the
// stack rolls back for another resource). At the end there is one object per
// resource, the original, nothing was created or started in the rollback, and a
// rollback of an update that failed before changing anything changed nothing.
func TestRollbackKeepsTheOriginals(t *testing.T) {
	base := stackConfig{srcBucket: "acme-src", srcRegion: "us-east-1", srcSub: "media", dstBucket: "acme-dst", dstRegion: "us-west-2", mode: "ENHANCED"}
	changes := map[string]func(*stackConfig){
		"source bucket":       func(c *stackConfig) { c.srcBucket = "acme-src-2" },
		"source Region":       func(c *stackConfig) { c.srcRegion = "eu-west-1" },
		"source subdirectory": func(c *stackConfig) { c.srcSub = "media/v2" },
		"destination bucket":  func(c *stackConfig) { c.dstBucket = "acme-dst-2" },
		"destination Region":  func(c *stackConfig) { c.dstRegion = "us-east-2" },
		"task mode":           func(c *stackConfig) { c.mode = "BASIC" },
	}
	for _, name := range slices.Sorted(maps.Keys(changes)) {
		next := base
		changes[name](&next)
		// Which resources the change updates, from a dry run.
		dry := deploy(t, newWorld(), base)
		touched, _, _ := dry.update(next, "", failsBefore)
		type failure struct {
			at  string
			how fault
		}
		var failures []failure
		for _, id := range touched {
			failures = append(failures, failure{id, failsBefore}, failure{id, answerLost})
			if id != "Execution" {
				failures = append(failures, failure{id, cutOff})
			}
		}
		for _, f := range append(failures, failure{"another resource", failsBefore}) {
			failAt := f.at
			how := map[fault]string{failsBefore: "fails", cutOff: "fails after taking effect", answerLost: "loses a create's answer"}[f.how]
			t.Run(fmt.Sprintf("%s/%s %s", name, failAt, how), func(t *testing.T) {
				w := newWorld()
				s := deploy(t, w, base)
				original := maps.Clone(s.phys)
				originalTask := w.tasks[original["Task"]].describe(original["Task"])

				updated, failed, answered := s.update(next, failAt, f.how)
				if want := failAt != "another resource" && f.how != answerLost; failed != want {
					t.Fatalf("update failed = %t, want %t", failed, want)
				}
				if f.how == answerLost {
					// Each replaced resource has one new object, no more.
					replaced := 0
					for id, arn := range answered {
						if arn != original[id] && id != "Execution" {
							replaced++
						}
					}
					if len(w.locations)+len(w.tasks) != 3+replaced {
						t.Errorf("%d locations and %d tasks after an update that replaced %d, want %d in all",
							len(w.locations), len(w.tasks), replaced, 3+replaced)
					}
				}
				mark := len(w.calls)
				s.rollback(base, updated, answered, original)

				for _, id := range stackOrder {
					if s.phys[id] != original[id] {
						t.Errorf("%s ends as %s, not the original %s", id, s.phys[id], original[id])
					}
				}
				if len(w.locations) != 2 || len(w.tasks) != 1 {
					t.Errorf("%d locations and %d tasks at the end, want 2 and 1", len(w.locations), len(w.tasks))
				}
				for _, id := range []string{"SourceLocation", "DestinationLocation"} {
					loc, ok := w.locations[original[id]]
					want := base.template(original)[id].(resource.LocationProps)
					if !ok || aws.ToString(loc.in.Subdirectory) != want.Subdirectory || aws.ToString(loc.in.S3BucketArn) != want.S3BucketArn {
						t.Errorf("%s: original gone or not as it was: %+v", id, loc)
					}
				}
				if tk, ok := w.tasks[original["Task"]]; !ok || !reflect.DeepEqual(tk.describe(original["Task"]), originalTask) {
					t.Errorf("the original task is gone or changed")
				}
				rolledBack := w.calls[mark:]
				for _, op := range []string{"CreateLocationS3", "CreateTask", "StartTaskExecution"} {
					if slices.Contains(rolledBack, op) {
						t.Errorf("the rollback called %s: %v", op, rolledBack)
					}
				}
				if failed && failAt == updated[0] && f.how == failsBefore {
					// Nothing had changed: the rollback changes nothing either.
					for _, op := range mutating {
						if slices.Contains(rolledBack, op) {
							t.Errorf("rolling back a failed update called %s: %v", op, rolledBack)
						}
					}
				}
				started := len(w.executions)
				// The first deploy starts one execution; an update that made a new task
				// starts that task's first one. Nothing else.
				if want := 1 + countIf(answered["Task"] != "" && answered["Task"] != original["Task"] && answered["Execution"] != ""); started != want {
					t.Errorf("%d executions started, want %d", started, want)
				}
			})
		}
	}
}

func countIf(b bool) int {
	if b {
		return 1
	}
	return 0
}
