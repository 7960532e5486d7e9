package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/datasync"
	dstypes "github.com/aws/aws-sdk-go-v2/service/datasync/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/s3transfer/cdk-datasync/constructs/provider/resource"
)

// The fakes below implement the provider's SDK interfaces with in-memory state, so a
// test can check what exists after a sequence of CloudFormation events. Errors are
// the SDK's own types (or smithy.GenericAPIError with the service's codes).

// world is the AWS state of one test, across Regions. Its methods lock mu, so two
// handlers may work on it at once.
type world struct {
	mu         sync.Mutex
	seq        int
	locations  map[string]*fakeLocation // by ARN
	tasks      map[string]*fakeTask     // by ARN
	executions []string
	tags       map[string][]dstypes.TagListEntry // DataSync tags by ARN
	policies   map[string]string                 // bucket -> policy
	ownership  map[string]string                 // bucket -> object ownership ("": never set)
	acls       map[string]*s3.GetBucketAclOutput // bucket -> ACL (nil: owner only)
	logPolicy  map[string]string                 // region/name -> document
	calls      []string
	inputs     []any // the input of each call, in the order of calls
	// fail holds errors to return, in order, per operation name.
	fail map[string][]error
	// lose holds errors to return, per operation name, after the operation took
	// effect: a response lost on the way back, a call cut off by the deadline.
	lose map[string][]error
	// beforePutPolicy runs before a PutBucketPolicy takes effect, outside the lock
	// (e.g. another writer that gets in between our read and our write).
	beforePutPolicy func(bucket string)
	// onPutPolicy runs after each PutBucketPolicy (e.g. a concurrent writer).
	onPutPolicy func(bucket string)
	// onGetPolicy runs after each GetBucketPolicy, outside the lock.
	onGetPolicy func(bucket string)
	sleeps      []time.Duration
	// staleReads is how many GetBucketPolicy calls after each write of a bucket's
	// policy still return the policy from before it (S3's bucket configurations are
	// eventually consistent).
	staleReads int
	stale      map[string]*staleView // bucket -> what reads show for now
	// pageSize, when set, is the page size of list calls that give no MaxResults
	// (a call's MaxResults, at most 100, wins); 0 keeps the small pages (one entry,
	// two tags) that exercise pagination.
	pageSize int
	// latency, when set, is how long each read (DescribeTask, DescribeLocationS3,
	// ListTagsForResource) takes, outside the lock; inFlight and maxInFlight count
	// the reads under way at once.
	latency               time.Duration
	inFlight, maxInFlight atomic.Int64
}

// staleView is a bucket policy as reads show it while a write is not visible yet.
type staleView struct {
	policy string
	exists bool
	reads  int // reads left that show it
}

// wrotePolicy records a write of bucket's policy for stale reads. The caller holds w.mu.
func (w *world) wrotePolicy(bucket string) {
	if w.staleReads == 0 {
		return
	}
	if w.stale == nil {
		w.stale = map[string]*staleView{}
	}
	if v := w.stale[bucket]; v != nil && v.reads > 0 {
		v.reads = w.staleReads // still showing an older state: it stays longer
		return
	}
	p, ok := w.policies[bucket]
	w.stale[bucket] = &staleView{policy: p, exists: ok, reads: w.staleReads}
}

// deletePrincipal deletes an IAM role or user that bucket policies name by ARN: S3
// shows it as its unique ID from then on, as it does for a deleted principal.
func (w *world) deletePrincipal(arn, uniqueID string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for b, p := range w.policies {
		w.policies[b] = strings.ReplaceAll(p, `"`+arn+`"`, `"`+uniqueID+`"`)
	}
}

// read models a read's round trip: it counts the reads in flight and waits latency.
// Call it before taking the lock; call the function it returns when done.
func (w *world) read() func() {
	n := w.inFlight.Add(1)
	for {
		m := w.maxInFlight.Load()
		if n <= m || w.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(w.latency)
	return func() { w.inFlight.Add(-1) }
}

// pageOf is the page size of one list call: small (one entry, two tags), or with
// pageSize set, MaxResults (at most 100, DataSync's maximum) or pageSize.
func (w *world) pageOf(maxResults *int32, small int) int {
	if w.pageSize == 0 {
		return small
	}
	if maxResults != nil && *maxResults > 0 {
		return min(int(*maxResults), 100)
	}
	return w.pageSize
}

type fakeLocation struct {
	in  *datasync.CreateLocationS3Input
	uri string
}

type fakeTask struct {
	in      *datasync.CreateTaskInput
	update  *datasync.UpdateTaskInput   // last update
	updates []*datasync.UpdateTaskInput // every update, in order
	status  []dstypes.TaskStatus        // statuses DescribeTask reports in turn, last repeats
}

// describe is the task as DescribeTask shows it: created from in, then each update
// applied as DataSync applies it (a field left out keeps its value; an empty filter
// list, schedule expression, report config or log group ARN clears it).
func (t *fakeTask) describe(arn string) *datasync.DescribeTaskOutput {
	in := t.in
	out := &datasync.DescribeTaskOutput{
		TaskArn: aws.String(arn), Name: in.Name, TaskMode: in.TaskMode,
		SourceLocationArn: in.SourceLocationArn, DestinationLocationArn: in.DestinationLocationArn,
		CloudWatchLogGroupArn: in.CloudWatchLogGroupArn, Options: in.Options, Includes: in.Includes, Excludes: in.Excludes,
		Schedule: in.Schedule, TaskReportConfig: in.TaskReportConfig,
	}
	if out.TaskMode == "" {
		out.TaskMode = dstypes.TaskModeBasic
	}
	for _, u := range t.updates {
		if u.Name != nil {
			out.Name = u.Name
		}
		if u.Options != nil {
			out.Options = u.Options
		}
		if u.Includes != nil {
			out.Includes = u.Includes
		}
		if u.Excludes != nil {
			out.Excludes = u.Excludes
		}
		if u.Schedule != nil {
			out.Schedule = u.Schedule
			if aws.ToString(u.Schedule.ScheduleExpression) == "" {
				out.Schedule = nil
			}
		}
		if u.CloudWatchLogGroupArn != nil {
			out.CloudWatchLogGroupArn = optional(aws.ToString(u.CloudWatchLogGroupArn))
		}
		if u.TaskReportConfig != nil {
			out.TaskReportConfig = u.TaskReportConfig
			if u.TaskReportConfig.Destination == nil {
				out.TaskReportConfig = nil
			}
		}
	}
	if out.Schedule != nil && out.Schedule.Status == "" {
		// A schedule given without a status is enabled (TaskSchedule.Status in the
		// API model).
		sc := *out.Schedule
		sc.Status = dstypes.ScheduleStatusEnabled
		out.Schedule = &sc
	}
	if len(out.Includes) == 0 {
		out.Includes = nil
	}
	if len(out.Excludes) == 0 {
		out.Excludes = nil
	}
	return out
}

func newWorld() *world {
	return &world{
		locations: map[string]*fakeLocation{},
		tasks:     map[string]*fakeTask{},
		tags:      map[string][]dstypes.TagListEntry{},
		policies:  map[string]string{},
		ownership: map[string]string{},
		acls:      map[string]*s3.GetBucketAclOutput{},
		logPolicy: map[string]string{},
		fail:      map[string][]error{},
		lose:      map[string][]error{},
	}
}

func (w *world) handler() *Handler {
	return &Handler{
		DataSync: func(region string) DataSyncAPI { return &fakeDataSync{w, region} },
		S3:       func(region string) S3API { return &fakeS3{w} },
		Logs:     func(region string) LogsAPI { return &fakeLogs{w, region} },
		Retry: Backoff{Initial: time.Second, Max: 4 * time.Second, Budget: 20 * time.Second,
			Sleep: func(_ context.Context, d time.Duration) error {
				w.mu.Lock()
				defer w.mu.Unlock()
				w.sleeps = append(w.sleeps, d)
				return nil
			}},
		PolicySettle: time.Millisecond,
	}
}

// call records an operation and its input and returns the next injected error for
// it, if any. The caller holds w.mu.
func (w *world) call(op string, in any) error {
	w.calls = append(w.calls, op)
	w.inputs = append(w.inputs, in)
	if errs := w.fail[op]; len(errs) > 0 {
		w.fail[op] = errs[1:]
		return errs[0]
	}
	return nil
}

// lost returns the next error to return for op after it took effect, if any. The
// caller holds w.mu.
func (w *world) lost(op string) error {
	if errs := w.lose[op]; len(errs) > 0 {
		w.lose[op] = errs[1:]
		return errs[0]
	}
	return nil
}

func (w *world) count(op string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
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

// DataSync's tag rules (datasync-2018-11-09 API model: TagKey, TagValue, InputTagList).
var (
	logGroupArnPattern = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov|aws-eusc|aws-iso|aws-iso-b):logs:[a-z\-0-9]+:[0-9]{12}:log-group:([^:\*]*)(:\*)?$`)
	tagKeyPattern      = regexp.MustCompile(`^[a-zA-Z0-9\s+=._:/-]+$`)
	tagValuePattern    = regexp.MustCompile(`^[a-zA-Z0-9\s+=._:@/-]*$`)
)

// tagResource stores the tags of a new object after checking them as DataSync does.
func (w *world) tagResource(arn string, tags []dstypes.TagListEntry) error {
	if len(tags) > 50 {
		return invalidRequest(fmt.Sprintf("1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50 (%d)", len(tags)))
	}
	for _, t := range tags {
		k, v := aws.ToString(t.Key), aws.ToString(t.Value)
		if len(k) < 1 || len(k) > 256 || !tagKeyPattern.MatchString(k) || len(v) > 256 || !tagValuePattern.MatchString(v) {
			return invalidRequest(fmt.Sprintf("1 validation error detected: tag %q=%q does not satisfy the TagKey/TagValue constraints", k, v))
		}
	}
	w.tags[arn] = slices.Clone(tags)
	return nil
}

// page returns items[start:start+size] of a list paged by decimal tokens.
func page[T any](items []T, token *string, size int) ([]T, *string) {
	start := 0
	if token != nil {
		fmt.Sscan(*token, &start)
	}
	if start >= len(items) {
		return nil, nil
	}
	end := min(start+size, len(items))
	if end == len(items) {
		return items[start:end], nil
	}
	return items[start:end], aws.String(fmt.Sprint(end))
}

func (f *fakeDataSync) CreateLocationS3(_ context.Context, in *datasync.CreateLocationS3Input, _ ...func(*datasync.Options)) (*datasync.CreateLocationS3Output, error) {
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	if err := f.w.call("CreateLocationS3", in); err != nil {
		return nil, err
	}
	arn := fmt.Sprintf("arn:aws:datasync:%s:111111111111:location/loc-%017d", f.region, f.w.next())
	if err := f.w.tagResource(arn, in.Tags); err != nil {
		return nil, err
	}
	f.w.locations[arn] = &fakeLocation{in: in, uri: locationURI(aws.ToString(in.S3BucketArn), aws.ToString(in.Subdirectory))}
	if err := f.w.lost("CreateLocationS3"); err != nil {
		return nil, err
	}
	return &datasync.CreateLocationS3Output{LocationArn: aws.String(arn)}, nil
}

func (f *fakeDataSync) UpdateLocationS3(_ context.Context, in *datasync.UpdateLocationS3Input, _ ...func(*datasync.Options)) (*datasync.UpdateLocationS3Output, error) {
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	if err := f.w.call("UpdateLocationS3", in); err != nil {
		return nil, err
	}
	loc, ok := f.w.locations[aws.ToString(in.LocationArn)]
	if !ok || regionOfArn(aws.ToString(in.LocationArn)) != f.region {
		return nil, errNotFound
	}
	loc.in.Subdirectory, loc.in.S3StorageClass, loc.in.S3Config = in.Subdirectory, in.S3StorageClass, in.S3Config
	loc.uri = locationURI(aws.ToString(loc.in.S3BucketArn), aws.ToString(in.Subdirectory))
	if err := f.w.lost("UpdateLocationS3"); err != nil {
		return nil, err
	}
	return &datasync.UpdateLocationS3Output{}, nil
}

// locationURI is the URI DataSync gives an S3 location: s3://<bucket>/<subdirectory>/.
func locationURI(bucketArn, subdirectory string) string {
	uri := "s3://" + bucketArn[len("arn:aws:s3:::"):] + "/"
	if sub := strings.Trim(subdirectory, "/"); sub != "" {
		uri += sub + "/"
	}
	return uri
}

func (f *fakeDataSync) DescribeLocationS3(_ context.Context, in *datasync.DescribeLocationS3Input, _ ...func(*datasync.Options)) (*datasync.DescribeLocationS3Output, error) {
	defer f.w.read()()
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	if err := f.w.call("DescribeLocationS3", in); err != nil {
		return nil, err
	}
	loc, ok := f.w.locations[aws.ToString(in.LocationArn)]
	if !ok || regionOfArn(aws.ToString(in.LocationArn)) != f.region {
		return nil, errNotFound
	}
	class := loc.in.S3StorageClass
	if class == "" {
		class = dstypes.S3StorageClassStandard
	}
	return &datasync.DescribeLocationS3Output{LocationArn: in.LocationArn, LocationUri: aws.String(loc.uri), S3StorageClass: class, S3Config: loc.in.S3Config}, nil
}

func (f *fakeDataSync) DeleteLocation(_ context.Context, in *datasync.DeleteLocationInput, _ ...func(*datasync.Options)) (*datasync.DeleteLocationOutput, error) {
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	if err := f.w.call("DeleteLocation", in); err != nil {
		return nil, err
	}
	arn := aws.ToString(in.LocationArn)
	if _, ok := f.w.locations[arn]; !ok || regionOfArn(arn) != f.region {
		return nil, errNotFound
	}
	delete(f.w.locations, arn)
	delete(f.w.tags, arn)
	return &datasync.DeleteLocationOutput{}, nil
}

// ListLocations serves the filters the provider uses (LocationType and LocationUri
// with Equals or BeginsWith), one location per page.
func (f *fakeDataSync) ListLocations(_ context.Context, in *datasync.ListLocationsInput, _ ...func(*datasync.Options)) (*datasync.ListLocationsOutput, error) {
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	if err := f.w.call("ListLocations", in); err != nil {
		return nil, err
	}
	var all []dstypes.LocationListEntry
	for _, arn := range slices.Sorted(maps.Keys(f.w.locations)) {
		loc := f.w.locations[arn]
		if regionOfArn(arn) != f.region {
			continue
		}
		keep := true
		for _, flt := range in.Filters {
			value := map[dstypes.LocationFilterName]string{dstypes.LocationFilterNameLocationType: "S3", dstypes.LocationFilterNameLocationUri: loc.uri}[flt.Name]
			keep = keep && matchFilter(flt.Operator, value, flt.Values)
		}
		if keep {
			all = append(all, dstypes.LocationListEntry{LocationArn: aws.String(arn), LocationUri: aws.String(loc.uri)})
		}
	}
	locs, next := page(all, in.NextToken, f.w.pageOf(in.MaxResults, 1))
	return &datasync.ListLocationsOutput{Locations: locs, NextToken: next}, nil
}

func matchFilter(op dstypes.Operator, value string, values []string) bool {
	for _, v := range values {
		switch op {
		case dstypes.OperatorEq:
			if value == v {
				return true
			}
		case dstypes.OperatorBeginsWith:
			if strings.HasPrefix(value, v) {
				return true
			}
		default:
			panic("filter operator not modelled: " + op)
		}
	}
	return false
}

func (f *fakeDataSync) ListTagsForResource(_ context.Context, in *datasync.ListTagsForResourceInput, _ ...func(*datasync.Options)) (*datasync.ListTagsForResourceOutput, error) {
	defer f.w.read()()
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	if err := f.w.call("ListTagsForResource", in); err != nil {
		return nil, err
	}
	tags, ok := f.w.tags[aws.ToString(in.ResourceArn)]
	if !ok || regionOfArn(aws.ToString(in.ResourceArn)) != f.region {
		return nil, errNotFound
	}
	// Two tags per page, to exercise pagination.
	out, next := page(tags, in.NextToken, f.w.pageOf(in.MaxResults, 2))
	return &datasync.ListTagsForResourceOutput{Tags: out, NextToken: next}, nil
}

func (f *fakeDataSync) CreateTask(_ context.Context, in *datasync.CreateTaskInput, _ ...func(*datasync.Options)) (*datasync.CreateTaskOutput, error) {
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	if err := f.w.call("CreateTask", in); err != nil {
		return nil, err
	}
	for _, l := range []*string{in.SourceLocationArn, in.DestinationLocationArn} {
		if _, ok := f.w.locations[aws.ToString(l)]; !ok {
			return nil, invalidRequest("location " + aws.ToString(l) + " not found")
		}
	}
	arn := fmt.Sprintf("arn:aws:datasync:%s:111111111111:task/task-%017d", f.region, f.w.next())
	if err := f.w.tagResource(arn, in.Tags); err != nil {
		return nil, err
	}
	f.w.tasks[arn] = &fakeTask{in: in, status: []dstypes.TaskStatus{dstypes.TaskStatusAvailable}}
	if err := f.w.lost("CreateTask"); err != nil {
		return nil, err
	}
	return &datasync.CreateTaskOutput{TaskArn: aws.String(arn)}, nil
}

func (f *fakeDataSync) UpdateTask(_ context.Context, in *datasync.UpdateTaskInput, _ ...func(*datasync.Options)) (*datasync.UpdateTaskOutput, error) {
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	if err := f.w.call("UpdateTask", in); err != nil {
		return nil, err
	}
	t, ok := f.w.tasks[aws.ToString(in.TaskArn)]
	if !ok {
		return nil, errNotFound
	}
	// The log group ARN must match LogGroupArn's pattern in the API model. An empty
	// one is taken only to remove the log group of a task that has one (see
	// updateTask); for a task without one it fails the pattern.
	if g := in.CloudWatchLogGroupArn; g != nil && !logGroupArnPattern.MatchString(*g) &&
		(*g != "" || t.describe(aws.ToString(in.TaskArn)).CloudWatchLogGroupArn == nil) {
		return nil, invalidRequest("1 validation error detected: Value '" + *g + "' at 'cloudWatchLogGroupArn' failed to satisfy constraint: " +
			"Member must satisfy regular expression pattern: " + logGroupArnPattern.String())
	}
	t.update = in
	t.updates = append(t.updates, in)
	if err := f.w.lost("UpdateTask"); err != nil {
		return nil, err
	}
	return &datasync.UpdateTaskOutput{}, nil
}

func (f *fakeDataSync) DeleteTask(_ context.Context, in *datasync.DeleteTaskInput, _ ...func(*datasync.Options)) (*datasync.DeleteTaskOutput, error) {
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	if err := f.w.call("DeleteTask", in); err != nil {
		return nil, err
	}
	if _, ok := f.w.tasks[aws.ToString(in.TaskArn)]; !ok {
		return nil, errNotFound
	}
	delete(f.w.tasks, aws.ToString(in.TaskArn))
	delete(f.w.tags, aws.ToString(in.TaskArn))
	return &datasync.DeleteTaskOutput{}, nil
}

func (f *fakeDataSync) DescribeTask(_ context.Context, in *datasync.DescribeTaskInput, _ ...func(*datasync.Options)) (*datasync.DescribeTaskOutput, error) {
	defer f.w.read()()
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	if err := f.w.call("DescribeTask", in); err != nil {
		return nil, err
	}
	t, ok := f.w.tasks[aws.ToString(in.TaskArn)]
	if !ok {
		return nil, errNotFound
	}
	out := t.describe(aws.ToString(in.TaskArn))
	out.Status = t.status[0]
	if len(t.status) > 1 {
		t.status = t.status[1:]
	}
	return out, nil
}

// ListTasks serves the LocationId filter (a task matches by its source or its
// destination), one task per page.
func (f *fakeDataSync) ListTasks(_ context.Context, in *datasync.ListTasksInput, _ ...func(*datasync.Options)) (*datasync.ListTasksOutput, error) {
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	if err := f.w.call("ListTasks", in); err != nil {
		return nil, err
	}
	var all []dstypes.TaskListEntry
	for _, arn := range slices.Sorted(maps.Keys(f.w.tasks)) {
		t := f.w.tasks[arn]
		if regionOfArn(arn) != f.region {
			continue
		}
		keep := true
		for _, flt := range in.Filters {
			if flt.Name != dstypes.TaskFilterNameLocationId {
				panic("task filter not modelled: " + flt.Name)
			}
			keep = keep && (matchFilter(flt.Operator, aws.ToString(t.in.SourceLocationArn), flt.Values) ||
				matchFilter(flt.Operator, aws.ToString(t.in.DestinationLocationArn), flt.Values))
		}
		if keep {
			all = append(all, dstypes.TaskListEntry{TaskArn: aws.String(arn), Name: t.in.Name, TaskMode: t.in.TaskMode})
		}
	}
	tasks, next := page(all, in.NextToken, f.w.pageOf(in.MaxResults, 1))
	return &datasync.ListTasksOutput{Tasks: tasks, NextToken: next}, nil
}

func (f *fakeDataSync) StartTaskExecution(_ context.Context, in *datasync.StartTaskExecutionInput, _ ...func(*datasync.Options)) (*datasync.StartTaskExecutionOutput, error) {
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	if err := f.w.call("StartTaskExecution", in); err != nil {
		return nil, err
	}
	if _, ok := f.w.tasks[aws.ToString(in.TaskArn)]; !ok {
		return nil, errNotFound
	}
	arn := fmt.Sprintf("%s/execution/exec-%017d", aws.ToString(in.TaskArn), f.w.next())
	if err := f.w.tagResource(arn, in.Tags); err != nil {
		return nil, err
	}
	f.w.executions = append(f.w.executions, arn)
	if err := f.w.lost("StartTaskExecution"); err != nil {
		return nil, err
	}
	return &datasync.StartTaskExecutionOutput{TaskExecutionArn: aws.String(arn)}, nil
}

// ListTaskExecutions lists a task's executions, one per page.
func (f *fakeDataSync) ListTaskExecutions(_ context.Context, in *datasync.ListTaskExecutionsInput, _ ...func(*datasync.Options)) (*datasync.ListTaskExecutionsOutput, error) {
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	if err := f.w.call("ListTaskExecutions", in); err != nil {
		return nil, err
	}
	var all []dstypes.TaskExecutionListEntry
	for _, arn := range f.w.executions {
		if strings.HasPrefix(arn, aws.ToString(in.TaskArn)+"/execution/") {
			all = append(all, dstypes.TaskExecutionListEntry{TaskExecutionArn: aws.String(arn), Status: dstypes.TaskExecutionStatusLaunching})
		}
	}
	execs, next := page(all, in.NextToken, f.w.pageOf(in.MaxResults, 1))
	return &datasync.ListTaskExecutionsOutput{TaskExecutions: execs, NextToken: next}, nil
}

type fakeS3 struct{ w *world }

func (f *fakeS3) GetBucketOwnershipControls(_ context.Context, in *s3.GetBucketOwnershipControlsInput, _ ...func(*s3.Options)) (*s3.GetBucketOwnershipControlsOutput, error) {
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	if err := f.w.call("GetBucketOwnershipControls", in); err != nil {
		return nil, err
	}
	o := f.w.ownership[aws.ToString(in.Bucket)]
	if o == "" {
		return nil, apiError("OwnershipControlsNotFoundError", "The bucket ownership controls were not found")
	}
	return &s3.GetBucketOwnershipControlsOutput{OwnershipControls: &s3types.OwnershipControls{
		Rules: []s3types.OwnershipControlsRule{{ObjectOwnership: s3types.ObjectOwnership(o)}},
	}}, nil
}

const bucketOwnerID = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"

func (f *fakeS3) GetBucketAcl(_ context.Context, in *s3.GetBucketAclInput, _ ...func(*s3.Options)) (*s3.GetBucketAclOutput, error) {
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	if err := f.w.call("GetBucketAcl", in); err != nil {
		return nil, err
	}
	if acl := f.w.acls[aws.ToString(in.Bucket)]; acl != nil {
		return acl, nil
	}
	return ownerOnlyACL(), nil
}

// ownerOnlyACL is the ACL of a bucket nobody has granted anything on.
func ownerOnlyACL() *s3.GetBucketAclOutput {
	return &s3.GetBucketAclOutput{
		Owner: &s3types.Owner{ID: aws.String(bucketOwnerID)},
		Grants: []s3types.Grant{{
			Grantee:    &s3types.Grantee{Type: s3types.TypeCanonicalUser, ID: aws.String(bucketOwnerID)},
			Permission: s3types.PermissionFullControl,
		}},
	}
}

// PutBucketOwnershipControls refuses BucketOwnerEnforced while the bucket ACL grants
// others, as S3 does.
func (f *fakeS3) PutBucketOwnershipControls(_ context.Context, in *s3.PutBucketOwnershipControlsInput, _ ...func(*s3.Options)) (*s3.PutBucketOwnershipControlsOutput, error) {
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	if err := f.w.call("PutBucketOwnershipControls", in); err != nil {
		return nil, err
	}
	o := in.OwnershipControls.Rules[0].ObjectOwnership
	if acl := f.w.acls[aws.ToString(in.Bucket)]; acl != nil && len(acl.Grants) > 1 && o == s3types.ObjectOwnershipBucketOwnerEnforced {
		return nil, apiError("InvalidBucketAclWithObjectOwnership", "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")
	}
	f.w.ownership[aws.ToString(in.Bucket)] = string(o)
	return &s3.PutBucketOwnershipControlsOutput{}, nil
}

func (f *fakeS3) GetBucketPolicy(_ context.Context, in *s3.GetBucketPolicyInput, _ ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error) {
	if f.w.onGetPolicy != nil {
		defer f.w.onGetPolicy(aws.ToString(in.Bucket))
	}
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	if err := f.w.call("GetBucketPolicy", in); err != nil {
		return nil, err
	}
	p, ok := f.w.policies[aws.ToString(in.Bucket)]
	if v := f.w.stale[aws.ToString(in.Bucket)]; v != nil && v.reads > 0 {
		v.reads--
		p, ok = v.policy, v.exists
	}
	if !ok {
		return nil, apiError("NoSuchBucketPolicy", "The bucket policy does not exist")
	}
	return &s3.GetBucketPolicyOutput{Policy: aws.String(p)}, nil
}

// invalidPrincipals lists the AWS principals of a policy that S3 would not accept:
// anything but "*", an account ID or an ARN, as a deleted role's or user's unique ID
// that S3 shows in its place.
func invalidPrincipals(policy string) []string {
	var doc struct{ Statement []map[string]json.RawMessage }
	if json.Unmarshal([]byte(policy), &doc) != nil {
		var one struct{ Statement map[string]json.RawMessage }
		_ = json.Unmarshal([]byte(policy), &one)
		doc.Statement = []map[string]json.RawMessage{one.Statement}
	}
	var bad []string
	for _, st := range doc.Statement {
		for _, key := range []string{"Principal", "NotPrincipal"} {
			var p struct{ AWS any }
			if json.Unmarshal(st[key], &p) != nil {
				continue
			}
			values, _ := p.AWS.([]any)
			if s, ok := p.AWS.(string); ok {
				values = []any{s}
			}
			for _, v := range values {
				s, _ := v.(string)
				if s != "*" && !strings.HasPrefix(s, "arn:") && !regexp.MustCompile(`^[0-9]{12}$`).MatchString(s) {
					bad = append(bad, s)
				}
			}
		}
	}
	return bad
}

// s3Stored is a policy as S3 gives it back: reformatted, with account IDs in
// principals turned into root ARNs and principal lists in another order.
func s3Stored(policy string) string {
	var doc map[string]any
	if json.Unmarshal([]byte(policy), &doc) != nil {
		return policy
	}
	stmts, _ := doc["Statement"].([]any)
	for _, st := range stmts {
		m, _ := st.(map[string]any)
		for _, key := range []string{"Principal", "NotPrincipal"} {
			p, _ := m[key].(map[string]any)
			switch principals := p["AWS"].(type) {
			case string:
				p["AWS"] = rootArn(principals)
			case []any:
				out := make([]any, len(principals))
				for i, a := range principals {
					s, _ := a.(string)
					out[len(principals)-1-i] = rootArn(s)
				}
				p["AWS"] = out
			}
		}
	}
	b, _ := json.MarshalIndent(doc, "", "    ")
	return string(b)
}

func rootArn(principal string) string {
	if regexp.MustCompile(`^[0-9]{12}$`).MatchString(principal) {
		return "arn:aws:iam::" + principal + ":root"
	}
	return principal
}

func (f *fakeS3) PutBucketPolicy(_ context.Context, in *s3.PutBucketPolicyInput, _ ...func(*s3.Options)) (*s3.PutBucketPolicyOutput, error) {
	if f.w.beforePutPolicy != nil {
		f.w.beforePutPolicy(aws.ToString(in.Bucket))
	}
	f.w.mu.Lock()
	if err := f.w.call("PutBucketPolicy", in); err != nil {
		f.w.mu.Unlock()
		return nil, err
	}
	if n := len(aws.ToString(in.Policy)); n > MaxBucketPolicyBytes {
		f.w.mu.Unlock()
		return nil, apiError("MalformedPolicy", "Policy exceeds the maximum allowed document size.")
	}
	if len(invalidPrincipals(aws.ToString(in.Policy))) > 0 {
		f.w.mu.Unlock()
		return nil, apiError("MalformedPolicy", "Invalid principal in policy")
	}
	f.w.wrotePolicy(aws.ToString(in.Bucket))
	f.w.policies[aws.ToString(in.Bucket)] = s3Stored(aws.ToString(in.Policy))
	f.w.mu.Unlock()
	if f.w.onPutPolicy != nil {
		f.w.onPutPolicy(aws.ToString(in.Bucket))
	}
	return &s3.PutBucketPolicyOutput{}, nil
}

func (f *fakeS3) DeleteBucketPolicy(_ context.Context, in *s3.DeleteBucketPolicyInput, _ ...func(*s3.Options)) (*s3.DeleteBucketPolicyOutput, error) {
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	if err := f.w.call("DeleteBucketPolicy", in); err != nil {
		return nil, err
	}
	f.w.wrotePolicy(aws.ToString(in.Bucket))
	delete(f.w.policies, aws.ToString(in.Bucket))
	return &s3.DeleteBucketPolicyOutput{}, nil
}

type fakeLogs struct {
	w      *world
	region string
}

func (f *fakeLogs) PutResourcePolicy(_ context.Context, in *cloudwatchlogs.PutResourcePolicyInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutResourcePolicyOutput, error) {
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	if err := f.w.call("PutResourcePolicy", in); err != nil {
		return nil, err
	}
	f.w.logPolicy[f.region+"/"+aws.ToString(in.PolicyName)] = aws.ToString(in.PolicyDocument)
	return &cloudwatchlogs.PutResourcePolicyOutput{}, nil
}

func (f *fakeLogs) DeleteResourcePolicy(_ context.Context, in *cloudwatchlogs.DeleteResourcePolicyInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.DeleteResourcePolicyOutput, error) {
	f.w.mu.Lock()
	defer f.w.mu.Unlock()
	if err := f.w.call("DeleteResourcePolicy", in); err != nil {
		return nil, err
	}
	key := f.region + "/" + aws.ToString(in.PolicyName)
	if _, ok := f.w.logPolicy[key]; !ok {
		return nil, apiError("ResourceNotFoundException", "Policy with name not found")
	}
	delete(f.w.logPolicy, key)
	return &cloudwatchlogs.DeleteResourcePolicyOutput{}, nil
}

// requests numbers the events of a test run: CloudFormation gives every request its
// own ID, and a delivery of the same request again carries the same one.
var requests atomic.Int64

// event builds a CloudFormation event whose properties are written the way
// CloudFormation passes them: every scalar a string. Each event has a new RequestId.
func event(rt cfn.RequestType, resourceType, physicalID string, props, old any) cfn.Event {
	e := cfn.Event{
		RequestType:        rt,
		RequestID:          fmt.Sprintf("5e2c8a9d-0000-4000-8000-%012d", requests.Add(1)),
		ResourceType:       resourceType,
		LogicalResourceID:  "Resource",
		StackID:            "arn:aws:cloudformation:us-west-2:111111111111:stack/t/1",
		PhysicalResourceID: physicalID,
		ResourceProperties: resource.ToProperties(props),
	}
	e.ResourceProperties["ServiceToken"] = "arn:aws:lambda:us-west-2:111111111111:function:provider"
	if old != nil {
		e.OldResourceProperties = resource.ToProperties(old)
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

func tagMap(tags []dstypes.TagListEntry) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}
