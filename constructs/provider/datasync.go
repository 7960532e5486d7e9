package provider

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datasync"
	dstypes "github.com/aws/aws-sdk-go-v2/service/datasync/types"
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
	p, old, err := props[LocationProps](event)
	if err != nil && event.RequestType != cfn.RequestDelete {
		return Result{}, err
	}
	client := h.DataSync(p.Region)
	o := ownerOf(event)
	find := func(who owner) (string, error) {
		return h.findLocation(ctx, client, who, p.S3BucketArn, p.Subdirectory)
	}
	if event.RequestType == cfn.RequestDelete {
		return h.deleteDataSync(ctx, event, client, find, func(c DataSyncAPI, arn string) error {
			_, err := c.DeleteLocation(ctx, &datasync.DeleteLocationInput{LocationArn: aws.String(arn)})
			return err
		})
	}
	if event.RequestType == cfn.RequestUpdate && !old.replacedBy(p) {
		_, err := retryIAM(ctx, h.Retry, "UpdateLocationS3", func() (*datasync.UpdateLocationS3Output, error) {
			return client.UpdateLocationS3(ctx, &datasync.UpdateLocationS3Input{
				LocationArn:    aws.String(event.PhysicalResourceID),
				Subdirectory:   aws.String(p.Subdirectory),
				S3StorageClass: dstypes.S3StorageClass(p.S3StorageClass),
				S3Config:       &dstypes.S3Config{BucketAccessRoleArn: aws.String(p.BucketAccessRoleArn)},
			})
		})
		if err != nil {
			return Result{}, err
		}
		return arnResult(event.PhysicalResourceID), nil
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
		})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.LocationArn), nil
	})
}

func (h *Handler) task(ctx context.Context, event cfn.Event) (Result, error) {
	p, old, err := props[TaskProps](event)
	if err != nil && event.RequestType != cfn.RequestDelete {
		return Result{}, err
	}
	client := h.DataSync(p.Region)
	o := ownerOf(event)
	find := func(who owner) (string, error) { return h.findTask(ctx, client, who, p.SourceLocationArn) }
	if event.RequestType == cfn.RequestDelete {
		return h.deleteDataSync(ctx, event, client, find, func(c DataSyncAPI, arn string) error {
			_, err := c.DeleteTask(ctx, &datasync.DeleteTaskInput{TaskArn: aws.String(arn)})
			return err
		})
	}
	s, err := p.settings()
	if err != nil {
		return Result{}, err
	}
	if event.RequestType == cfn.RequestUpdate && !old.needsNewTask(p) {
		// UpdateTask replaces what it is given; empty values clear a filter, the
		// schedule or the report.
		_, err := retryIAM(ctx, h.Retry, "UpdateTask", func() (*datasync.UpdateTaskOutput, error) {
			return client.UpdateTask(ctx, &datasync.UpdateTaskInput{
				TaskArn:               aws.String(event.PhysicalResourceID),
				Name:                  aws.String(p.Name),
				Options:               s.options,
				Includes:              filterOrEmpty(p.Includes),
				Excludes:              filterOrEmpty(p.Excludes),
				Schedule:              &dstypes.TaskSchedule{ScheduleExpression: aws.String(p.Schedule)},
				CloudWatchLogGroupArn: optional(p.CloudWatchLogGroupArn),
				TaskReportConfig:      s.reportOrEmpty(),
			})
		})
		if err != nil {
			return Result{}, err
		}
		return arnResult(event.PhysicalResourceID), nil
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
		})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.TaskArn), nil
	})
}

// needsNewTask reports whether going from old to p changes what UpdateTask cannot.
func (old TaskProps) needsNewTask(p TaskProps) bool {
	return old.Region != p.Region || old.SourceLocationArn != p.SourceLocationArn ||
		old.DestinationLocationArn != p.DestinationLocationArn || old.TaskMode != p.TaskMode
}

type taskSettings struct {
	options  *dstypes.Options
	schedule *dstypes.TaskSchedule
	report   *dstypes.TaskReportConfig
}

func (p TaskProps) settings() (taskSettings, error) {
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
	p, old, err := props[TaskExecutionProps](event)
	if err != nil {
		return Result{}, err
	}
	if event.RequestType == cfn.RequestUpdate && !old.replacedBy(p) {
		return Result{PhysicalID: event.PhysicalResourceID}, nil
	}
	client := h.DataSync(p.Region)
	o := ownerOf(event)
	find := func(who owner) (string, error) { return h.findExecution(ctx, client, who, p.TaskArn) }
	return h.createOnce(ctx, "StartTaskExecution", o, find, func() (string, error) {
		if err := h.waitTaskAvailable(ctx, client, p.TaskArn); err != nil {
			return "", err
		}
		out, err := client.StartTaskExecution(ctx, &datasync.StartTaskExecutionInput{
			TaskArn: aws.String(p.TaskArn),
			Tags:    o.tags(""),
		})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.TaskExecutionArn), nil
	})
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
