package test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/datasync"
	dstypes "github.com/aws/aws-sdk-go-v2/service/datasync/types"

	"github.com/s3transfer/cdk-datasync/constructs/provider"
	"github.com/s3transfer/cdk-datasync/constructs/provider/resource"
)

// taskAccount is the DataSync tasks and CloudWatch Logs resource policies of one
// account, for replaying the provider's task and logs-policy requests of a config
// transition. Only the calls those requests make are served (other calls panic).
type taskAccount struct {
	mu       sync.Mutex
	seq      int
	tasks    map[string]*datasync.DescribeTaskOutput
	tags     map[string][]dstypes.TagListEntry
	policies map[string]bool
}

type taskAPI struct {
	provider.DataSyncAPI
	a      *taskAccount
	region string
}

type logsAPI struct{ a *taskAccount }

var errTaskNotFound = &dstypes.InvalidRequestException{Message: aws.String("Request references a resource which does not exist.")}

func (f taskAPI) CreateTask(_ context.Context, in *datasync.CreateTaskInput, _ ...func(*datasync.Options)) (*datasync.CreateTaskOutput, error) {
	f.a.mu.Lock()
	defer f.a.mu.Unlock()
	f.a.seq++
	arn := fmt.Sprintf("arn:aws:datasync:%s:111111111111:task/task-%017d", f.region, f.a.seq)
	mode := in.TaskMode
	if mode == "" {
		mode = dstypes.TaskModeBasic
	}
	f.a.tasks[arn] = &datasync.DescribeTaskOutput{TaskArn: aws.String(arn), Name: in.Name, TaskMode: mode, Status: dstypes.TaskStatusAvailable,
		SourceLocationArn: in.SourceLocationArn, DestinationLocationArn: in.DestinationLocationArn,
		CloudWatchLogGroupArn: in.CloudWatchLogGroupArn, Options: in.Options, Schedule: in.Schedule}
	f.a.tags[arn] = in.Tags
	return &datasync.CreateTaskOutput{TaskArn: aws.String(arn)}, nil
}

// UpdateTask changes what it is given; an empty log group ARN removes the log group.
func (f taskAPI) UpdateTask(_ context.Context, in *datasync.UpdateTaskInput, _ ...func(*datasync.Options)) (*datasync.UpdateTaskOutput, error) {
	f.a.mu.Lock()
	defer f.a.mu.Unlock()
	t, ok := f.a.tasks[aws.ToString(in.TaskArn)]
	if !ok {
		return nil, errTaskNotFound
	}
	if in.Options != nil {
		t.Options = in.Options
	}
	if g := in.CloudWatchLogGroupArn; g != nil {
		t.CloudWatchLogGroupArn = g
		if *g == "" {
			t.CloudWatchLogGroupArn = nil
		}
	}
	return &datasync.UpdateTaskOutput{}, nil
}

func (f taskAPI) DescribeTask(_ context.Context, in *datasync.DescribeTaskInput, _ ...func(*datasync.Options)) (*datasync.DescribeTaskOutput, error) {
	f.a.mu.Lock()
	defer f.a.mu.Unlock()
	t, ok := f.a.tasks[aws.ToString(in.TaskArn)]
	if !ok {
		return nil, errTaskNotFound
	}
	out := *t
	return &out, nil
}

func (f taskAPI) DeleteTask(_ context.Context, in *datasync.DeleteTaskInput, _ ...func(*datasync.Options)) (*datasync.DeleteTaskOutput, error) {
	f.a.mu.Lock()
	defer f.a.mu.Unlock()
	if _, ok := f.a.tasks[aws.ToString(in.TaskArn)]; !ok {
		return nil, errTaskNotFound
	}
	delete(f.a.tasks, aws.ToString(in.TaskArn))
	return &datasync.DeleteTaskOutput{}, nil
}

// ListTasks lists the Region's tasks in one page, narrowed by a LocationId filter.
func (f taskAPI) ListTasks(_ context.Context, in *datasync.ListTasksInput, _ ...func(*datasync.Options)) (*datasync.ListTasksOutput, error) {
	f.a.mu.Lock()
	defer f.a.mu.Unlock()
	out := &datasync.ListTasksOutput{}
	for _, arn := range slices.Sorted(maps.Keys(f.a.tasks)) {
		t := f.a.tasks[arn]
		keep := strings.HasPrefix(arn, "arn:aws:datasync:"+f.region+":")
		for _, flt := range in.Filters {
			keep = keep && (slices.Contains(flt.Values, aws.ToString(t.SourceLocationArn)) || slices.Contains(flt.Values, aws.ToString(t.DestinationLocationArn)))
		}
		if keep {
			out.Tasks = append(out.Tasks, dstypes.TaskListEntry{TaskArn: aws.String(arn), TaskMode: t.TaskMode, Name: t.Name})
		}
	}
	return out, nil
}

func (f taskAPI) ListTagsForResource(_ context.Context, in *datasync.ListTagsForResourceInput, _ ...func(*datasync.Options)) (*datasync.ListTagsForResourceOutput, error) {
	f.a.mu.Lock()
	defer f.a.mu.Unlock()
	if _, ok := f.a.tasks[aws.ToString(in.ResourceArn)]; !ok {
		return nil, errTaskNotFound
	}
	return &datasync.ListTagsForResourceOutput{Tags: f.a.tags[aws.ToString(in.ResourceArn)]}, nil
}

func (f logsAPI) PutResourcePolicy(_ context.Context, in *cloudwatchlogs.PutResourcePolicyInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutResourcePolicyOutput, error) {
	f.a.mu.Lock()
	defer f.a.mu.Unlock()
	f.a.policies[aws.ToString(in.PolicyName)] = true
	return &cloudwatchlogs.PutResourcePolicyOutput{}, nil
}

func (f logsAPI) DeleteResourcePolicy(_ context.Context, in *cloudwatchlogs.DeleteResourcePolicyInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DeleteResourcePolicyOutput, error) {
	f.a.mu.Lock()
	defer f.a.mu.Unlock()
	delete(f.a.policies, aws.ToString(in.PolicyName))
	return &cloudwatchlogs.DeleteResourcePolicyOutput{}, nil
}

// resolved returns a provider resource's properties as CloudFormation passes them:
// a Ref to a location is its physical ID (refs), other tokens stay as rendered.
func resolved(r customResource, refs map[string]string) map[string]any {
	out := stringProps(r.Properties)
	for k, v := range out {
		var ref struct{ Ref string }
		if s, _ := v.(string); json.Unmarshal([]byte(s), &ref) == nil && refs[ref.Ref] != "" {
			out[k] = refs[ref.Ref]
		}
	}
	return out
}

// replayLoggingOff replays, against the provider's handler, what CloudFormation asks
// of the task and the logs policy when an update removes the stack's
// LogsResourcePolicy (logging turned off, or the task no longer BASIC): the task is
// created from the old template, updated to the new one (and, when the update gave
// a new physical ID, the old task deleted in the cleanup), then the cleanup deletes
// the LogsResourcePolicy resource. It reports what is left behind: the policy, or a
// task still pointing at a log group under /aws/datasync/.
func replayLoggingOff(old, cur sourceTemplate, gone map[string]bool) string {
	a := &taskAccount{tasks: map[string]*datasync.DescribeTaskOutput{}, tags: map[string][]dstypes.TagListEntry{}, policies: map[string]bool{}}
	h := &provider.Handler{
		DataSync: func(region string) provider.DataSyncAPI { return taskAPI{a: a, region: region} },
		Logs:     func(string) provider.LogsAPI { return logsAPI{a} },
		Retry:    provider.Backoff{Initial: time.Millisecond, Max: time.Millisecond, Budget: time.Millisecond},
	}
	// Locations keep their physical ID unless the update replaces them.
	refs := func(version string) map[string]string {
		m := map[string]string{}
		for id, r := range old.resources {
			if r.Type == resource.TypeS3Location {
				v := "a"
				if version == "new" && gone[id] {
					v = "b"
				}
				m[id] = fmt.Sprintf("arn:aws:datasync:%s:111111111111:location/loc-%s-%s", r.Properties["Region"], id, v)
			}
		}
		return m
	}
	var taskID, policyID string
	for id, r := range old.resources {
		switch r.Type {
		case resource.TypeTask:
			taskID = id
		case resource.TypeLogsResourcePolicy:
			policyID = id
		}
	}
	n := 0
	send := func(rt cfn.RequestType, id, physicalID string, props, oldProps map[string]any) (string, error) {
		n++
		e := cfn.Event{RequestType: rt, RequestID: fmt.Sprintf("req-%d", n), ResourceType: old.resources[id].Type, LogicalResourceID: id,
			StackID: "arn:aws:cloudformation:us-west-2:111111111111:stack/src/1", PhysicalResourceID: physicalID,
			ResourceProperties: props, OldResourceProperties: oldProps}
		res, err := h.Handle(context.Background(), e)
		return res.PhysicalID, err
	}
	oldTask, newTask := resolved(old.resources[taskID], refs("old")), resolved(cur.resources[taskID], refs("new"))
	oldPolicy := resolved(old.resources[policyID], nil)
	task, err := send(cfn.RequestCreate, taskID, "", oldTask, nil)
	if err != nil {
		return "create task: " + err.Error()
	}
	if _, err := send(cfn.RequestCreate, policyID, "", oldPolicy, nil); err != nil {
		return "create logs policy: " + err.Error()
	}
	updated, err := send(cfn.RequestUpdate, taskID, task, newTask, oldTask)
	if err != nil {
		return "update task: " + err.Error()
	}
	if updated != task {
		if _, err := send(cfn.RequestDelete, taskID, task, oldTask, nil); err != nil {
			return "cleanup delete of the task: " + err.Error()
		}
	}
	if _, err := send(cfn.RequestDelete, policyID, fmt.Sprint(oldPolicy["PolicyName"]), oldPolicy, nil); err != nil {
		return "cleanup delete of the logs policy: " + err.Error()
	}
	var left []string
	for arn, t := range a.tasks {
		if g := aws.ToString(t.CloudWatchLogGroupArn); strings.Contains(g, ":log-group:/aws/datasync/") {
			left = append(left, fmt.Sprintf("task %s still logs to %s", arn, g))
		}
	}
	if len(a.policies) > 0 {
		left = append(left, fmt.Sprintf("the logs resource policy %v was kept", slices.Collect(maps.Keys(a.policies))))
	}
	return strings.Join(left, "; ")
}
