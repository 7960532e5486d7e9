package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/datasync"
	dstypes "github.com/aws/aws-sdk-go-v2/service/datasync/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// The fakes below implement the provider's SDK interfaces with in-memory state, so a
// test can check what exists after a sequence of CloudFormation events. Errors are
// the SDK's own types (or smithy.GenericAPIError with the service's codes).

// world is the AWS state of one test, across Regions.
type world struct {
	seq        int
	locations  map[string]*datasync.CreateLocationS3Input // by ARN
	tasks      map[string]*fakeTask                       // by ARN
	executions []string
	policies   map[string]string // bucket -> policy
	ownership  map[string]string // bucket -> object ownership
	logPolicy  map[string]string // region/name -> document
	calls      []string
	// fail holds errors to return, in order, per operation name.
	fail map[string][]error
	// onPutPolicy runs after each PutBucketPolicy (e.g. a concurrent writer).
	onPutPolicy func(bucket string)
	sleeps      []time.Duration
}

type fakeTask struct {
	in     *datasync.CreateTaskInput
	update *datasync.UpdateTaskInput // last update
	status []dstypes.TaskStatus      // statuses DescribeTask reports in turn, last repeats
}

func newWorld() *world {
	return &world{
		locations: map[string]*datasync.CreateLocationS3Input{},
		tasks:     map[string]*fakeTask{},
		policies:  map[string]string{},
		ownership: map[string]string{},
		logPolicy: map[string]string{},
		fail:      map[string][]error{},
	}
}

func (w *world) handler() *Handler {
	return &Handler{
		DataSync: func(region string) DataSyncAPI { return &fakeDataSync{w, region} },
		S3:       func(region string) S3API { return &fakeS3{w} },
		Logs:     func(region string) LogsAPI { return &fakeLogs{w, region} },
		Retry: Backoff{Initial: time.Second, Max: 4 * time.Second, Budget: 20 * time.Second,
			Sleep: func(_ context.Context, d time.Duration) error { w.sleeps = append(w.sleeps, d); return nil }},
		PolicySettle: time.Millisecond,
	}
}

// call records an operation and returns the next injected error for it, if any.
func (w *world) call(op string) error {
	w.calls = append(w.calls, op)
	if errs := w.fail[op]; len(errs) > 0 {
		w.fail[op] = errs[1:]
		return errs[0]
	}
	return nil
}

func (w *world) count(op string) int {
	n := 0
	for _, c := range w.calls {
		if c == op {
			n++
		}
	}
	return n
}

func (w *world) next() int { w.seq++; return w.seq }

func apiError(code, msg string) error { return &smithy.GenericAPIError{Code: code, Message: msg} }

func invalidRequest(msg string) error {
	return &dstypes.InvalidRequestException{Message: aws.String(msg)}
}

var errNotFound = invalidRequest("Request references a resource which does not exist.")

type fakeDataSync struct {
	w      *world
	region string
}

func (f *fakeDataSync) CreateLocationS3(_ context.Context, in *datasync.CreateLocationS3Input, _ ...func(*datasync.Options)) (*datasync.CreateLocationS3Output, error) {
	if err := f.w.call("CreateLocationS3"); err != nil {
		return nil, err
	}
	arn := fmt.Sprintf("arn:aws:datasync:%s:111111111111:location/loc-%017d", f.region, f.w.next())
	f.w.locations[arn] = in
	return &datasync.CreateLocationS3Output{LocationArn: aws.String(arn)}, nil
}

func (f *fakeDataSync) UpdateLocationS3(_ context.Context, in *datasync.UpdateLocationS3Input, _ ...func(*datasync.Options)) (*datasync.UpdateLocationS3Output, error) {
	if err := f.w.call("UpdateLocationS3"); err != nil {
		return nil, err
	}
	loc, ok := f.w.locations[aws.ToString(in.LocationArn)]
	if !ok || regionOfArn(aws.ToString(in.LocationArn)) != f.region {
		return nil, errNotFound
	}
	loc.Subdirectory, loc.S3StorageClass, loc.S3Config = in.Subdirectory, in.S3StorageClass, in.S3Config
	return &datasync.UpdateLocationS3Output{}, nil
}

func (f *fakeDataSync) DeleteLocation(_ context.Context, in *datasync.DeleteLocationInput, _ ...func(*datasync.Options)) (*datasync.DeleteLocationOutput, error) {
	if err := f.w.call("DeleteLocation"); err != nil {
		return nil, err
	}
	if _, ok := f.w.locations[aws.ToString(in.LocationArn)]; !ok || regionOfArn(aws.ToString(in.LocationArn)) != f.region {
		return nil, errNotFound
	}
	delete(f.w.locations, aws.ToString(in.LocationArn))
	return &datasync.DeleteLocationOutput{}, nil
}

func (f *fakeDataSync) CreateTask(_ context.Context, in *datasync.CreateTaskInput, _ ...func(*datasync.Options)) (*datasync.CreateTaskOutput, error) {
	if err := f.w.call("CreateTask"); err != nil {
		return nil, err
	}
	for _, l := range []*string{in.SourceLocationArn, in.DestinationLocationArn} {
		if _, ok := f.w.locations[aws.ToString(l)]; !ok {
			return nil, invalidRequest("location " + aws.ToString(l) + " not found")
		}
	}
	arn := fmt.Sprintf("arn:aws:datasync:%s:111111111111:task/task-%017d", f.region, f.w.next())
	f.w.tasks[arn] = &fakeTask{in: in, status: []dstypes.TaskStatus{dstypes.TaskStatusAvailable}}
	return &datasync.CreateTaskOutput{TaskArn: aws.String(arn)}, nil
}

func (f *fakeDataSync) UpdateTask(_ context.Context, in *datasync.UpdateTaskInput, _ ...func(*datasync.Options)) (*datasync.UpdateTaskOutput, error) {
	if err := f.w.call("UpdateTask"); err != nil {
		return nil, err
	}
	t, ok := f.w.tasks[aws.ToString(in.TaskArn)]
	if !ok {
		return nil, errNotFound
	}
	t.update = in
	return &datasync.UpdateTaskOutput{}, nil
}

func (f *fakeDataSync) DeleteTask(_ context.Context, in *datasync.DeleteTaskInput, _ ...func(*datasync.Options)) (*datasync.DeleteTaskOutput, error) {
	if err := f.w.call("DeleteTask"); err != nil {
		return nil, err
	}
	if _, ok := f.w.tasks[aws.ToString(in.TaskArn)]; !ok {
		return nil, errNotFound
	}
	delete(f.w.tasks, aws.ToString(in.TaskArn))
	return &datasync.DeleteTaskOutput{}, nil
}

func (f *fakeDataSync) DescribeTask(_ context.Context, in *datasync.DescribeTaskInput, _ ...func(*datasync.Options)) (*datasync.DescribeTaskOutput, error) {
	if err := f.w.call("DescribeTask"); err != nil {
		return nil, err
	}
	t, ok := f.w.tasks[aws.ToString(in.TaskArn)]
	if !ok {
		return nil, errNotFound
	}
	status := t.status[0]
	if len(t.status) > 1 {
		t.status = t.status[1:]
	}
	return &datasync.DescribeTaskOutput{TaskArn: in.TaskArn, Status: status, CloudWatchLogGroupArn: t.in.CloudWatchLogGroupArn}, nil
}

func (f *fakeDataSync) ListTasks(_ context.Context, in *datasync.ListTasksInput, _ ...func(*datasync.Options)) (*datasync.ListTasksOutput, error) {
	if err := f.w.call("ListTasks"); err != nil {
		return nil, err
	}
	// One task per page, to exercise pagination.
	var arns []string
	for arn := range f.w.tasks {
		if regionOfArn(arn) == f.region {
			arns = append(arns, arn)
		}
	}
	start := 0
	if in.NextToken != nil {
		fmt.Sscan(*in.NextToken, &start)
	}
	out := &datasync.ListTasksOutput{}
	if start < len(arns) {
		out.Tasks = []dstypes.TaskListEntry{{TaskArn: aws.String(arns[start])}}
		if start+1 < len(arns) {
			out.NextToken = aws.String(fmt.Sprint(start + 1))
		}
	}
	return out, nil
}

func (f *fakeDataSync) StartTaskExecution(_ context.Context, in *datasync.StartTaskExecutionInput, _ ...func(*datasync.Options)) (*datasync.StartTaskExecutionOutput, error) {
	if err := f.w.call("StartTaskExecution"); err != nil {
		return nil, err
	}
	if _, ok := f.w.tasks[aws.ToString(in.TaskArn)]; !ok {
		return nil, errNotFound
	}
	arn := fmt.Sprintf("%s/execution/exec-%017d", aws.ToString(in.TaskArn), f.w.next())
	f.w.executions = append(f.w.executions, arn)
	return &datasync.StartTaskExecutionOutput{TaskExecutionArn: aws.String(arn)}, nil
}

type fakeS3 struct{ w *world }

func (f *fakeS3) PutBucketOwnershipControls(_ context.Context, in *s3.PutBucketOwnershipControlsInput, _ ...func(*s3.Options)) (*s3.PutBucketOwnershipControlsOutput, error) {
	if err := f.w.call("PutBucketOwnershipControls"); err != nil {
		return nil, err
	}
	f.w.ownership[aws.ToString(in.Bucket)] = string(in.OwnershipControls.Rules[0].ObjectOwnership)
	return &s3.PutBucketOwnershipControlsOutput{}, nil
}

func (f *fakeS3) GetBucketPolicy(_ context.Context, in *s3.GetBucketPolicyInput, _ ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error) {
	if err := f.w.call("GetBucketPolicy"); err != nil {
		return nil, err
	}
	p, ok := f.w.policies[aws.ToString(in.Bucket)]
	if !ok {
		return nil, apiError("NoSuchBucketPolicy", "The bucket policy does not exist")
	}
	return &s3.GetBucketPolicyOutput{Policy: aws.String(p)}, nil
}

func (f *fakeS3) PutBucketPolicy(_ context.Context, in *s3.PutBucketPolicyInput, _ ...func(*s3.Options)) (*s3.PutBucketPolicyOutput, error) {
	if err := f.w.call("PutBucketPolicy"); err != nil {
		return nil, err
	}
	f.w.policies[aws.ToString(in.Bucket)] = aws.ToString(in.Policy)
	if f.w.onPutPolicy != nil {
		f.w.onPutPolicy(aws.ToString(in.Bucket))
	}
	return &s3.PutBucketPolicyOutput{}, nil
}

func (f *fakeS3) DeleteBucketPolicy(_ context.Context, in *s3.DeleteBucketPolicyInput, _ ...func(*s3.Options)) (*s3.DeleteBucketPolicyOutput, error) {
	if err := f.w.call("DeleteBucketPolicy"); err != nil {
		return nil, err
	}
	delete(f.w.policies, aws.ToString(in.Bucket))
	return &s3.DeleteBucketPolicyOutput{}, nil
}

type fakeLogs struct {
	w      *world
	region string
}

func (f *fakeLogs) PutResourcePolicy(_ context.Context, in *cloudwatchlogs.PutResourcePolicyInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutResourcePolicyOutput, error) {
	if err := f.w.call("PutResourcePolicy"); err != nil {
		return nil, err
	}
	f.w.logPolicy[f.region+"/"+aws.ToString(in.PolicyName)] = aws.ToString(in.PolicyDocument)
	return &cloudwatchlogs.PutResourcePolicyOutput{}, nil
}

func (f *fakeLogs) DeleteResourcePolicy(_ context.Context, in *cloudwatchlogs.DeleteResourcePolicyInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DeleteResourcePolicyOutput, error) {
	if err := f.w.call("DeleteResourcePolicy"); err != nil {
		return nil, err
	}
	key := f.region + "/" + aws.ToString(in.PolicyName)
	if _, ok := f.w.logPolicy[key]; !ok {
		return nil, apiError("ResourceNotFoundException", "Policy with name not found")
	}
	delete(f.w.logPolicy, key)
	return &cloudwatchlogs.DeleteResourcePolicyOutput{}, nil
}

// event builds a CloudFormation event whose properties are written the way
// CloudFormation passes them: every scalar a string.
func event(rt cfn.RequestType, resourceType, physicalID string, props, old any) cfn.Event {
	e := cfn.Event{
		RequestType:        rt,
		RequestID:          "req-1",
		ResourceType:       resourceType,
		LogicalResourceID:  "Resource",
		StackID:            "arn:aws:cloudformation:us-west-2:111111111111:stack/t/1",
		PhysicalResourceID: physicalID,
		ResourceProperties: ToProperties(props),
	}
	e.ResourceProperties["ServiceToken"] = "arn:aws:lambda:us-west-2:111111111111:function:provider"
	if old != nil {
		e.OldResourceProperties = ToProperties(old)
	}
	return e
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.Contains(x, s) {
			return true
		}
	}
	return false
}
