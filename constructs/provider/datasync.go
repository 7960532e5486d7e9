package provider

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datasync"
	dstypes "github.com/aws/aws-sdk-go-v2/service/datasync/types"

	"github.com/s3transfer/cdk-datasync/constructs/provider/resource"
)

// regionOfArn returns the Region field of an ARN, or "" when s is not an ARN (the
// placeholder physical ID of a create that failed).
func regionOfArn(s string) string {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return ""
	}
	return parts[3]
}

func (h *Handler) location(ctx context.Context, event cfn.Event) (Result, error) {
	p, old, err := props[resource.LocationProps](event)
	if err != nil && event.RequestType != cfn.RequestDelete {
		return Result{}, err
	}
	client := h.DataSync(p.Region)
	o := ownerOf(event)
	find := func(who owner) (string, error) {
		return h.findLocation(ctx, client, who, p.S3BucketArn, p.Subdirectory, nil)
	}
	if event.RequestType == cfn.RequestDelete {
		return h.deleteDataSync(ctx, event, client, find, func(c DataSyncAPI, arn string) error {
			_, err := c.DeleteLocation(ctx, &datasync.DeleteLocationInput{LocationArn: aws.String(arn)})
			return err
		})
	}
	if event.RequestType == cfn.RequestUpdate {
		arn, cur, err := h.locationToKeep(ctx, client, event, p)
		if err == nil && arn != "" {
			err = h.updateLocation(ctx, client, arn, cur, p)
		}
		if err == nil && arn == event.PhysicalResourceID && old.ReplacedBy(p) {
			there := h.DataSync(old.Region)
			err = h.removeLeftovers(ctx, event, func(o owner, also check) (string, error) {
				return h.findLocation(ctx, there, o, old.S3BucketArn, old.Subdirectory, also)
			}, func(arn string) error {
				_, err := there.DeleteLocation(ctx, &datasync.DeleteLocationInput{LocationArn: aws.String(arn)})
				return err
			})
		}
		if err != nil {
			return Result{}, err
		}
		if arn != "" {
			return arnResult(arn), nil
		}
	}
	// Create, or an update of the bucket or Region: a new location. CloudFormation
	// deletes the old one once the stack update succeeds.
	return h.createOnce(ctx, "CreateLocationS3", o, find, func() (string, error) {
		out, err := client.CreateLocationS3(ctx, &datasync.CreateLocationS3Input{
			S3BucketArn:    aws.String(p.S3BucketArn),
			Subdirectory:   optional(p.Subdirectory),
			S3StorageClass: dstypes.S3StorageClass(p.S3StorageClass),
			S3Config:       &dstypes.S3Config{BucketAccessRoleArn: aws.String(p.BucketAccessRoleArn)},
			Tags:           o.tags(p.Name),
		}, createOnlyOnce)
		if err != nil {
			return "", err
		}
		return aws.ToString(out.LocationArn), nil
	})
}

// Whether an update replaces a location or task is decided against the object
// itself, not against OldResourceProperties alone. CloudFormation rolls a failed
// update back with a second Update whose properties are the old ones (and whose
// OldResourceProperties are the failed ones):
//   - when the failed update was this resource's, the physical ID still names the
//     original object, which already has the requested bucket and Region: it is kept
//     (and changes nothing when it has the rest too);
//   - when this resource's update had succeeded with a new object and the stack rolls
//     back for another resource, the physical ID names the new object; the original
//     (same stack and logical ID, any request, the requested bucket and Region) still
//     exists until the rollback's cleanup deletes the new one, so it is taken back
//     instead of making a third.
// Only when neither exists is a new object created.

// locationToKeep returns the location an update keeps: the one the physical ID names
// when it is in the requested Region and bucket, else the original location of this
// stack and logical ID there, with its description; "" when the update needs a new
// location.
func (h *Handler) locationToKeep(ctx context.Context, client DataSyncAPI, event cfn.Event, p resource.LocationProps) (string, *datasync.DescribeLocationS3Output, error) {
	return toKeep(ctx, h, event, p.Region, "location",
		func(ctx context.Context, arn string) (*datasync.DescribeLocationS3Output, error) {
			return h.describeLocation(ctx, client, arn)
		},
		func(cur *datasync.DescribeLocationS3Output) bool { return onBucket(cur, p) },
		func(o owner, also check) (string, error) {
			return h.findLocation(ctx, client, o, p.S3BucketArn, p.Subdirectory, also)
		})
}

// toKeep returns the object an update keeps: the one the physical ID names when it
// is in region and the same object (its description passes same), else an object of
// this stack and logical ID from any request (find lists the candidates) that is,
// other than the physical ID's; with its description. "" when there is none.
func toKeep[T any](ctx context.Context, h *Handler, event cfn.Event, region, what string,
	describe func(context.Context, string) (*T, error), same func(*T) bool, find func(owner, check) (string, error)) (string, *T, error) {
	if arn := event.PhysicalResourceID; regionOfArn(arn) == region {
		cur, err := describe(ctx, arn)
		if err != nil {
			return "", nil, err
		}
		if cur != nil && same(cur) {
			return arn, cur, nil
		}
	}
	o := ownerOf(event)
	o.requestID = "" // any request of this stack and logical ID
	var mu sync.Mutex
	found := map[string]*T{}
	arn, err := retryIAM(ctx, h.Retry, "looking for the "+what+" this update replaced", func() (string, error) {
		return find(o, func(ctx context.Context, arn string) (bool, error) {
			if arn == event.PhysicalResourceID {
				return false, nil
			}
			cur, err := describe(ctx, arn)
			if err != nil || cur == nil || !same(cur) {
				return false, err
			}
			mu.Lock()
			defer mu.Unlock()
			found[arn] = cur
			return true, nil
		})
	})
	return arn, found[arn], err
}

// maxLeftovers bounds removeLeftovers: one request creates at most one object.
const maxLeftovers = 3

// removeLeftovers deletes what a failed update may have created. It runs when an
// update keeps its physical ID although its OldResourceProperties would have
// replaced the object: the rollback of this resource's own failed update, whose
// OldResourceProperties are the failed ones. An object of this stack and logical ID
// other than the physical ID, where the failed update would have created it (find
// lists there), can only be that update's: its create took effect but the answer was
// lost or the deadline cut it off. CloudFormation never learned its ID and would
// never delete it, and a task would keep copying on its schedule.
func (h *Handler) removeLeftovers(ctx context.Context, event cfn.Event, find func(owner, check) (string, error), del func(string) error) error {
	o := ownerOf(event)
	o.requestID = "" // the failed request's ID is not in the rollback's event
	notKept := func(_ context.Context, arn string) (bool, error) { return arn != event.PhysicalResourceID, nil }
	for range maxLeftovers {
		arn, err := retryIAM(ctx, h.Retry, "looking for what the failed update left", func() (string, error) { return find(o, notKept) })
		if err != nil || arn == "" {
			return err
		}
		_, err = retryIAM(ctx, h.Retry, "delete "+arn, func() (struct{}, error) { return struct{}{}, del(arn) })
		if err != nil && !isNotFound(err) {
			return err
		}
	}
	return nil
}

// onBucket reports whether a described location is on p's bucket.
func onBucket(cur *datasync.DescribeLocationS3Output, p resource.LocationProps) bool {
	_, ok := subdirectoryOf(cur, p)
	return ok
}

// subdirectoryOf returns the subdirectory of a described location (its URI after
// s3://<bucket>/, without slashes at the ends) and whether it is on p's bucket.
func subdirectoryOf(cur *datasync.DescribeLocationS3Output, p resource.LocationProps) (string, bool) {
	bucket := p.S3BucketArn[strings.LastIndex(p.S3BucketArn, ":")+1:]
	sub, ok := strings.CutPrefix(aws.ToString(cur.LocationUri), "s3://"+bucket+"/")
	return strings.Trim(sub, "/"), ok
}

// describeLocation describes an S3 location; nil when it does not exist.
func (h *Handler) describeLocation(ctx context.Context, client DataSyncAPI, arn string) (*datasync.DescribeLocationS3Output, error) {
	out, err := retryIAM(ctx, h.Retry, "DescribeLocationS3 "+arn, func() (*datasync.DescribeLocationS3Output, error) {
		return client.DescribeLocationS3(ctx, &datasync.DescribeLocationS3Input{LocationArn: aws.String(arn)})
	})
	if isNotFound(err) {
		return nil, nil
	}
	return out, err
}

// updateLocation gives the location arn p's subdirectory, storage class and role,
// unless it has them already (cur: its description).
func (h *Handler) updateLocation(ctx context.Context, client DataSyncAPI, arn string, cur *datasync.DescribeLocationS3Output, p resource.LocationProps) error {
	if cur != nil && locationHas(cur, p) {
		return nil
	}
	_, err := retryIAM(ctx, h.Retry, "UpdateLocationS3", func() (*datasync.UpdateLocationS3Output, error) {
		return client.UpdateLocationS3(ctx, &datasync.UpdateLocationS3Input{
			LocationArn:    aws.String(arn),
			Subdirectory:   aws.String(p.Subdirectory),
			S3StorageClass: dstypes.S3StorageClass(p.S3StorageClass),
			S3Config:       &dstypes.S3Config{BucketAccessRoleArn: aws.String(p.BucketAccessRoleArn)},
		})
	})
	return err
}

// locationHas reports whether a described location has p's subdirectory (the rest of
// its URI after the bucket), storage class (STANDARD when p gives none) and role.
func locationHas(cur *datasync.DescribeLocationS3Output, p resource.LocationProps) bool {
	sub, onBucket := subdirectoryOf(cur, p)
	class := p.S3StorageClass
	if class == "" {
		class = string(dstypes.S3StorageClassStandard)
	}
	curClass := string(cur.S3StorageClass)
	if curClass == "" {
		curClass = string(dstypes.S3StorageClassStandard)
	}
	return onBucket && sub == strings.Trim(p.Subdirectory, "/") && curClass == class &&
		cur.S3Config != nil && aws.ToString(cur.S3Config.BucketAccessRoleArn) == p.BucketAccessRoleArn
}

func (h *Handler) task(ctx context.Context, event cfn.Event) (Result, error) {
	p, old, err := props[resource.TaskProps](event)
	if err != nil && event.RequestType != cfn.RequestDelete {
		return Result{}, err
	}
	client := h.DataSync(p.Region)
	o := ownerOf(event)
	find := func(who owner) (string, error) { return h.findTask(ctx, client, who, p.SourceLocationArn, nil) }
	if event.RequestType == cfn.RequestDelete {
		return h.deleteDataSync(ctx, event, client, find, func(c DataSyncAPI, arn string) error {
			_, err := c.DeleteTask(ctx, &datasync.DeleteTaskInput{TaskArn: aws.String(arn)})
			return err
		})
	}
	s, err := settingsOf(p)
	if err != nil {
		return Result{}, err
	}
	if event.RequestType == cfn.RequestUpdate {
		arn, cur, err := h.taskToKeep(ctx, client, event, p)
		if err == nil && arn != "" {
			err = h.updateTask(ctx, client, arn, cur, p, s)
		}
		if err == nil && arn == event.PhysicalResourceID && old.ReplacedBy(p) {
			there := h.DataSync(old.Region)
			err = h.removeLeftovers(ctx, event, func(o owner, also check) (string, error) {
				return h.findTask(ctx, there, o, old.SourceLocationArn, also)
			}, func(arn string) error {
				_, err := there.DeleteTask(ctx, &datasync.DeleteTaskInput{TaskArn: aws.String(arn)})
				return err
			})
		}
		if err != nil {
			return Result{}, err
		}
		if arn != "" {
			return arnResult(arn), nil
		}
	}
	return h.createOnce(ctx, "CreateTask", o, find, func() (string, error) {
		out, err := client.CreateTask(ctx, &datasync.CreateTaskInput{
			SourceLocationArn:      aws.String(p.SourceLocationArn),
			DestinationLocationArn: aws.String(p.DestinationLocationArn),
			Name:                   aws.String(p.Name),
			TaskMode:               dstypes.TaskMode(p.TaskMode),
			Options:                s.options,
			Includes:               filter(p.Includes),
			Excludes:               filter(p.Excludes),
			Schedule:               s.schedule,
			CloudWatchLogGroupArn:  optional(p.CloudWatchLogGroupArn),
			TaskReportConfig:       s.report,
			Tags:                   o.tags(p.Name),
		}, createOnlyOnce)
		if err != nil {
			return "", err
		}
		return aws.ToString(out.TaskArn), nil
	})
}

// taskToKeep returns the task an update keeps (see toKeep): the one the physical ID
// names when it has p's locations and task mode, else the original task of this
// stack and logical ID that has them, with its description; "" when the update
// needs a new task.
func (h *Handler) taskToKeep(ctx context.Context, client DataSyncAPI, event cfn.Event, p resource.TaskProps) (string, *datasync.DescribeTaskOutput, error) {
	return toKeep(ctx, h, event, p.Region, "task",
		func(ctx context.Context, arn string) (*datasync.DescribeTaskOutput, error) {
			return h.describeTask(ctx, client, arn)
		},
		func(cur *datasync.DescribeTaskOutput) bool { return sameTask(cur, p) },
		func(o owner, also check) (string, error) {
			return h.findTask(ctx, client, o, p.SourceLocationArn, also)
		})
}

// sameTask reports whether a described task has what UpdateTask cannot change: p's
// locations and task mode (a task without one is BASIC, the mode before ENHANCED).
func sameTask(cur *datasync.DescribeTaskOutput, p resource.TaskProps) bool {
	mode := cur.TaskMode
	if mode == "" {
		mode = dstypes.TaskModeBasic
	}
	return aws.ToString(cur.SourceLocationArn) == p.SourceLocationArn &&
		aws.ToString(cur.DestinationLocationArn) == p.DestinationLocationArn && string(mode) == p.TaskMode
}

// describeTask describes a task; nil when it does not exist.
func (h *Handler) describeTask(ctx context.Context, client DataSyncAPI, arn string) (*datasync.DescribeTaskOutput, error) {
	out, err := retryIAM(ctx, h.Retry, "DescribeTask "+arn, func() (*datasync.DescribeTaskOutput, error) {
		return client.DescribeTask(ctx, &datasync.DescribeTaskInput{TaskArn: aws.String(arn)})
	})
	if isNotFound(err) {
		return nil, nil
	}
	return out, err
}

// updateTask gives the task arn p's settings unless it has them already (cur: its
// description). UpdateTask replaces what it is given and keeps what it is not
// given; empty values clear a filter, the schedule or the report.
//
// The log group: a BASIC task whose logging is turned off while it has a log group
// gets an empty CloudWatchLogGroupArn, which removes the log group from the task
// (the way hashicorp/terraform-provider-aws, internal/service/datasync/task.go,
// clears it): leaving the field out would keep the task pointing at the log group,
// and the shared CloudWatch Logs resource policy in use (logs.go). A task without a
// log group gets no CloudWatchLogGroupArn at all: "" does not match LogGroupArn's
// pattern in the datasync-2018-11-09 API model, and there is nothing to clear.
// ENHANCED tasks log to /aws/datasync by themselves; their log group is left as it
// is.
//
// The schedule (TaskSchedule: ScheduleExpression, required, and Status, ENABLED by
// default when left out, per the API model): a deploy never changes whether a
// schedule is enabled; `transfers pause` and `resume` do, and DataSync disables a
// schedule whose runs keep failing the same way. So when the expression is
// unchanged the Schedule is left out and the task keeps its schedule and its status;
// a new expression is sent with the current status (none on a task without a
// schedule: the new schedule starts enabled); an empty one removes the schedule.
func (h *Handler) updateTask(ctx context.Context, client DataSyncAPI, arn string, cur *datasync.DescribeTaskOutput, p resource.TaskProps, s taskSettings) error {
	if cur != nil && taskHas(cur, p, s) {
		return nil
	}
	logGroup := optional(p.CloudWatchLogGroupArn)
	if logGroup == nil && p.TaskMode != string(dstypes.TaskModeEnhanced) && (cur == nil || aws.ToString(cur.CloudWatchLogGroupArn) != "") {
		logGroup = aws.String("")
	}
	_, err := retryIAM(ctx, h.Retry, "UpdateTask", func() (*datasync.UpdateTaskOutput, error) {
		return client.UpdateTask(ctx, &datasync.UpdateTaskInput{
			TaskArn:               aws.String(arn),
			Name:                  aws.String(p.Name),
			Options:               s.options,
			Includes:              filterOrEmpty(p.Includes),
			Excludes:              filterOrEmpty(p.Excludes),
			Schedule:              scheduleUpdate(cur, p.Schedule),
			CloudWatchLogGroupArn: logGroup,
			TaskReportConfig:      s.reportOrEmpty(),
		})
	})
	return err
}

// scheduleUpdate is the Schedule of an UpdateTask that gives the task cur (nil:
// not known) the schedule expression want (see updateTask): nil when it has it.
func scheduleUpdate(cur *datasync.DescribeTaskOutput, want string) *dstypes.TaskSchedule {
	var have *dstypes.TaskSchedule
	if cur != nil {
		have = cur.Schedule
		if have == nil {
			have = &dstypes.TaskSchedule{}
		}
	}
	switch {
	case have != nil && aws.ToString(have.ScheduleExpression) == want:
		return nil
	case want == "":
		return &dstypes.TaskSchedule{ScheduleExpression: aws.String("")}
	case have != nil:
		return &dstypes.TaskSchedule{ScheduleExpression: aws.String(want), Status: have.Status}
	}
	return &dstypes.TaskSchedule{ScheduleExpression: aws.String(want)}
}

// taskHas reports whether a described task has every setting the provider sets from
// p. Anything it cannot tell for sure counts as different: UpdateTask with the values
// a task already has changes nothing.
func taskHas(cur *datasync.DescribeTaskOutput, p resource.TaskProps, s taskSettings) bool {
	o, want := cur.Options, s.options
	if o == nil || aws.ToString(cur.Name) != p.Name ||
		o.VerifyMode != want.VerifyMode || o.OverwriteMode != want.OverwriteMode || o.TransferMode != want.TransferMode ||
		o.PreserveDeletedFiles != want.PreserveDeletedFiles || o.ObjectTags != want.ObjectTags || o.LogLevel != want.LogLevel {
		return false
	}
	if want.BytesPerSecond != nil && aws.ToInt64(o.BytesPerSecond) != aws.ToInt64(want.BytesPerSecond) {
		return false
	}
	if filterValueOf(cur.Includes) != p.Includes || filterValueOf(cur.Excludes) != p.Excludes {
		return false
	}
	schedule := ""
	if cur.Schedule != nil {
		schedule = aws.ToString(cur.Schedule.ScheduleExpression)
	}
	if schedule != p.Schedule {
		return false
	}
	if p.TaskMode != string(dstypes.TaskModeEnhanced) &&
		strings.TrimSuffix(aws.ToString(cur.CloudWatchLogGroupArn), ":*") != strings.TrimSuffix(p.CloudWatchLogGroupArn, ":*") {
		return false
	}
	r := cur.TaskReportConfig
	if s.report == nil {
		return r == nil || r.Destination == nil || r.Destination.S3 == nil
	}
	if r == nil || r.Destination == nil || r.Destination.S3 == nil {
		return false
	}
	d, w := r.Destination.S3, s.report.Destination.S3
	return aws.ToString(d.S3BucketArn) == aws.ToString(w.S3BucketArn) &&
		strings.Trim(aws.ToString(d.Subdirectory), "/") == strings.Trim(aws.ToString(w.Subdirectory), "/") &&
		aws.ToString(d.BucketAccessRoleArn) == aws.ToString(w.BucketAccessRoleArn) &&
		r.ReportLevel == s.report.ReportLevel && r.OutputType == s.report.OutputType
}

// filterValueOf is the '|'-separated pattern of a task's filter rules ("" for none).
func filterValueOf(rules []dstypes.FilterRule) string {
	var values []string
	for _, r := range rules {
		values = append(values, aws.ToString(r.Value))
	}
	return strings.Join(values, "|")
}

type taskSettings struct {
	options  *dstypes.Options
	schedule *dstypes.TaskSchedule
	report   *dstypes.TaskReportConfig
}

func settingsOf(p resource.TaskProps) (taskSettings, error) {
	var s taskSettings
	bps := int64(-1)
	if p.BytesPerSecond != "" {
		v, err := strconv.ParseInt(p.BytesPerSecond, 10, 64)
		if err != nil {
			return s, fmt.Errorf("BytesPerSecond %q is not an integer", p.BytesPerSecond)
		}
		bps = v
	}
	s.options = &dstypes.Options{
		VerifyMode:           dstypes.VerifyMode(p.VerifyMode),
		OverwriteMode:        dstypes.OverwriteMode(p.OverwriteMode),
		TransferMode:         dstypes.TransferMode(p.TransferMode),
		PreserveDeletedFiles: dstypes.PreserveDeletedFiles(p.PreserveDeletedFiles),
		ObjectTags:           dstypes.ObjectTags(p.ObjectTags),
		LogLevel:             dstypes.LogLevel(p.LogLevel),
	}
	// ENHANCED tasks take no bandwidth limit at all; BASIC tasks get -1 to clear one.
	if p.TaskMode != string(dstypes.TaskModeEnhanced) {
		s.options.BytesPerSecond = aws.Int64(bps)
	}
	if p.Schedule != "" {
		s.schedule = &dstypes.TaskSchedule{ScheduleExpression: aws.String(p.Schedule)}
	}
	if p.ReportBucketArn != "" {
		s.report = &dstypes.TaskReportConfig{
			Destination: &dstypes.ReportDestination{S3: &dstypes.ReportDestinationS3{
				S3BucketArn:         aws.String(p.ReportBucketArn),
				Subdirectory:        optional(p.ReportSubdirectory),
				BucketAccessRoleArn: aws.String(p.ReportRoleArn),
			}},
			OutputType:  dstypes.ReportOutputTypeStandard,
			ReportLevel: dstypes.ReportLevel(p.ReportLevel),
		}
	}
	return s, nil
}

// reportOrEmpty is the report config for UpdateTask: an empty config removes a report.
func (s taskSettings) reportOrEmpty() *dstypes.TaskReportConfig {
	if s.report == nil {
		return &dstypes.TaskReportConfig{}
	}
	return s.report
}

func filter(value string) []dstypes.FilterRule {
	if value == "" {
		return nil
	}
	return []dstypes.FilterRule{{FilterType: dstypes.FilterTypeSimplePattern, Value: aws.String(value)}}
}

// filterOrEmpty is a filter for UpdateTask, where an empty list removes the filter.
func filterOrEmpty(value string) []dstypes.FilterRule {
	if f := filter(value); f != nil {
		return f
	}
	return []dstypes.FilterRule{}
}

func (h *Handler) taskExecution(ctx context.Context, event cfn.Event) (Result, error) {
	if event.RequestType == cfn.RequestDelete {
		// A started execution runs to its end; deleting the task stops future runs.
		return Result{PhysicalID: event.PhysicalResourceID}, nil
	}
	p, _, err := props[resource.TaskExecutionProps](event)
	if err != nil {
		return Result{}, err
	}
	client := h.DataSync(p.Region)
	o := ownerOf(event)
	if event.RequestType == cfn.RequestUpdate {
		// The execution's ARN names its task (<task ARN>/execution/<id>): one of the
		// requested task is kept. Otherwise an execution this stack and logical ID
		// started on that task before (the original, when a rollback gives the old
		// task back) is taken rather than starting the task again.
		if taskOfExecution(event.PhysicalResourceID) == p.TaskArn {
			return Result{PhysicalID: event.PhysicalResourceID}, nil
		}
		ours := o
		ours.requestID = ""
		earlier, err := retryIAM(ctx, h.Retry, "looking for an earlier execution of "+p.TaskArn, func() (string, error) {
			return h.findExecution(ctx, client, ours, p.TaskArn, nil)
		})
		if err != nil {
			return Result{}, err
		}
		if earlier != "" {
			return arnResult(earlier), nil
		}
	}
	find := func(who owner) (string, error) { return h.findExecution(ctx, client, who, p.TaskArn, nil) }
	return h.createOnce(ctx, "StartTaskExecution", o, find, func() (string, error) {
		if err := h.waitTaskAvailable(ctx, client, p.TaskArn); err != nil {
			return "", err
		}
		out, err := client.StartTaskExecution(ctx, &datasync.StartTaskExecutionInput{
			TaskArn: aws.String(p.TaskArn),
			Tags:    o.tags(""),
		}, createOnlyOnce)
		if err != nil {
			return "", err
		}
		return aws.ToString(out.TaskExecutionArn), nil
	})
}

// taskOfExecution returns the task ARN of an execution ARN, or "".
func taskOfExecution(arn string) string {
	task, _, ok := strings.Cut(arn, "/execution/")
	if !ok {
		return ""
	}
	return task
}

// waitTaskAvailable waits (within the retry budget) while a new task is CREATING.
func (h *Handler) waitTaskAvailable(ctx context.Context, client DataSyncAPI, taskArn string) error {
	var status dstypes.TaskStatus
	var descErr error
	_, spent, err := h.Retry.loop(ctx, func() bool {
		var out *datasync.DescribeTaskOutput
		out, descErr = client.DescribeTask(ctx, &datasync.DescribeTaskInput{TaskArn: aws.String(taskArn)})
		if descErr == nil {
			status = out.Status
			if status == dstypes.TaskStatusUnavailable {
				descErr = fmt.Errorf("task %s is UNAVAILABLE: %s", taskArn, aws.ToString(out.ErrorDetail))
			}
		}
		return descErr != nil || status != dstypes.TaskStatusCreating
	})
	switch {
	case descErr != nil:
		return descErr
	case err == errBudget:
		return fmt.Errorf("task %s still CREATING after %s", taskArn, spent)
	}
	return err
}

// deleteDataSync deletes a location or task in the Region of its ARN; one that is
// already gone counts as deleted.
//
// The placeholder physical ID of a failed create names the failed request. Whatever
// that request did create (a create whose response from DataSync was lost, or that
// the Lambda deadline cut off after DataSync had acted) carries the request's tags;
// the rollback's delete finds it with find and deletes it, so a failed create leaves
// no task behind that would keep copying on its schedule. A lookup that fails (for
// example a role without datasync:ListTasks) fails the delete with the AWS error
// rather than hide a possible leftover.
func (h *Handler) deleteDataSync(ctx context.Context, event cfn.Event, client DataSyncAPI, find func(owner) (string, error), del func(DataSyncAPI, string) error) (Result, error) {
	done := Result{PhysicalID: event.PhysicalResourceID}
	arn := event.PhysicalResourceID
	if region := regionOfArn(arn); region != "" {
		client = h.DataSync(region)
	} else if requestID, ok := placeholderRequest(arn); ok {
		o := ownerOf(event)
		o.requestID = tagValue(requestID)
		left, err := retryIAM(ctx, h.Retry, "looking for what the failed create left", func() (string, error) { return find(o) })
		if err != nil || left == "" {
			return done, err
		}
		arn = left
	} else {
		return done, nil
	}
	_, err := retryIAM(ctx, h.Retry, "delete "+arn, func() (struct{}, error) {
		return struct{}{}, del(client, arn)
	})
	if err != nil && !isNotFound(err) {
		return Result{}, err
	}
	return done, nil
}

func arnResult(arn string) Result {
	return Result{PhysicalID: arn, Data: map[string]any{"Arn": arn}}
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return aws.String(s)
}
