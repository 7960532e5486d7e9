package provider

import (
	"context"
	"strings"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/datasync"
	dstypes "github.com/aws/aws-sdk-go-v2/service/datasync/types"

	"github.com/s3transfer/cdk-datasync/constructs/provider/resource"
)

// logsResourcePolicy keeps the one CloudWatch Logs resource policy that lets DataSync
// write to BASIC-mode task log groups. CloudWatch Logs allows ten resource policies
// per account and Region, so every transfer's stack puts the same named policy
// (PutResourcePolicy is an upsert), and the policy is deleted only when no DataSync
// task in the Region logs under the prefix any more.
func (h *Handler) logsResourcePolicy(ctx context.Context, event cfn.Event) (Result, error) {
	p, _, err := props[resource.LogsResourcePolicyProps](event)
	if err != nil {
		return Result{}, err
	}
	logs := h.Logs(p.Region)
	if event.RequestType == cfn.RequestDelete {
		if event.PhysicalResourceID != p.PolicyName {
			return Result{PhysicalID: event.PhysicalResourceID}, nil
		}
		inUse, err := h.tasksLogUnder(ctx, h.DataSync(p.Region), p.LogGroupPrefix)
		if err != nil || inUse {
			return Result{PhysicalID: p.PolicyName}, err
		}
		_, err = logs.DeleteResourcePolicy(ctx, &cloudwatchlogs.DeleteResourcePolicyInput{PolicyName: aws.String(p.PolicyName)})
		if err != nil && !isNotFound(err) {
			return Result{}, err
		}
		return Result{PhysicalID: p.PolicyName}, nil
	}
	_, err = retryIAM(ctx, h.Retry, "PutResourcePolicy", func() (*cloudwatchlogs.PutResourcePolicyOutput, error) {
		return logs.PutResourcePolicy(ctx, &cloudwatchlogs.PutResourcePolicyInput{
			PolicyName:     aws.String(p.PolicyName),
			PolicyDocument: aws.String(p.PolicyDocument),
		})
	})
	if err != nil {
		return Result{}, err
	}
	return Result{PhysicalID: p.PolicyName}, nil
}

// tasksLogUnder reports whether any DataSync task in the client's Region sends its
// logs to a log group whose name starts with prefix. No list filter selects tasks by
// log group, so the tasks are listed (100 a page) and read with DescribeTask, at most
// readLimit at a time, stopping at the first that logs there. ENHANCED tasks are not
// read: they log to /aws/datasync itself (the API model's CloudWatchLogGroupArn),
// which no prefix ending in "/" covers.
func (h *Handler) tasksLogUnder(ctx context.Context, client DataSyncAPI, prefix string) (bool, error) {
	var next *string
	for {
		page, err := client.ListTasks(ctx, &datasync.ListTasksInput{NextToken: next, MaxResults: aws.Int32(maxPage)})
		if err != nil {
			return false, err
		}
		var arns []string
		for _, t := range page.Tasks {
			if t.TaskMode != dstypes.TaskModeEnhanced || !strings.HasSuffix(prefix, "/") {
				arns = append(arns, aws.ToString(t.TaskArn))
			}
		}
		found, err := firstMatch(ctx, arns, func(ctx context.Context, arn string) (bool, error) {
			out, err := client.DescribeTask(ctx, &datasync.DescribeTaskInput{TaskArn: aws.String(arn)})
			if err != nil {
				if isNotFound(err) {
					return false, nil
				}
				return false, err
			}
			return strings.Contains(aws.ToString(out.CloudWatchLogGroupArn), ":log-group:"+prefix), nil
		})
		if err != nil || found != "" {
			return found != "", err
		}
		if next = page.NextToken; next == nil {
			return false, nil
		}
	}
}
