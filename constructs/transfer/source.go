package transfer

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/s3transfer/cdk-datasync/constructs/provider/resource"
	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

// LogsResourcePolicyName is the CloudWatch Logs resource policy shared by every
// BASIC-mode transfer task in an account and Region (CloudWatch Logs allows ten).
const LogsResourcePolicyName = "datasync-transfers-log-delivery"

// SourceTransferProps configure the source side of a transfer.
type SourceTransferProps struct {
	// Transfer describes the transfer; it is validated here. Required.
	Transfer *spec.Transfer
	// NotificationTopics also receive the transfer's notifications (with monitoring
	// on: every notification of the notifier; off: failed executions). Default: only
	// the topic of Transfer.Notifications.Email, if any.
	NotificationTopics []awssns.ITopic
}

// SourceTransfer is the source account's part of a transfer: the DataSync
// bucket-access role, the location-admin role that runs the provider Lambda, the
// source location (in the source bucket's Region), the destination location and the
// task (in the destination Region), and the task's logging and notifications.
type SourceTransfer interface {
	constructs.Construct
	// TaskArn is the DataSync task's ARN.
	TaskArn() *string
	// SourceLocationArn is the source location's ARN.
	SourceLocationArn() *string
	// DestinationLocationArn is the destination location's ARN.
	DestinationLocationArn() *string
	// BucketAccessRole is the role DataSync assumes to read and write the buckets,
	// named datasync-<name>-bucket-access.
	BucketAccessRole() awsiam.IRole
	// LocationAdminRole is the provider Lambda's role, which creates the locations and
	// the task, named datasync-<name>-location-admin.
	LocationAdminRole() awsiam.IRole
	// ProviderFunction is the custom-resource Lambda, named datasync-<name>-provider.
	ProviderFunction() awslambda.IFunction
	// LogGroup is the BASIC-mode task log group, or nil (ENHANCED tasks log to
	// /aws/datasync; logLevel OFF logs nowhere).
	LogGroup() awslogs.ILogGroup
	// NotificationTopic is the topic of Transfer.Notifications.Email, or nil without one.
	NotificationTopic() awssns.ITopic
	// NotifierFunction is the monitoring notifier, datasync-<name>-notifier, or nil
	// with monitoring off.
	NotifierFunction() awslambda.IFunction
	// Dashboard is the transfer's own dashboard (monitoring.dashboard "transfer"), or nil.
	Dashboard() awscloudwatch.Dashboard
}

type sourceTransfer struct {
	constructs.Construct
	task, srcLoc, dstLoc awscdk.CustomResource
	accessRole, admin    awsiam.Role
	fn                   awslambda.Function
	logGroup             awslogs.ILogGroup
	topic                awssns.ITopic
	notifier             awslambda.IFunction
	dashboard            awscloudwatch.Dashboard
}

func (s *sourceTransfer) TaskArn() *string                      { return s.task.Ref() }
func (s *sourceTransfer) SourceLocationArn() *string            { return s.srcLoc.Ref() }
func (s *sourceTransfer) DestinationLocationArn() *string       { return s.dstLoc.Ref() }
func (s *sourceTransfer) BucketAccessRole() awsiam.IRole        { return s.accessRole }
func (s *sourceTransfer) LocationAdminRole() awsiam.IRole       { return s.admin }
func (s *sourceTransfer) ProviderFunction() awslambda.IFunction { return s.fn }
func (s *sourceTransfer) LogGroup() awslogs.ILogGroup           { return s.logGroup }
func (s *sourceTransfer) NotificationTopic() awssns.ITopic      { return s.topic }
func (s *sourceTransfer) NotifierFunction() awslambda.IFunction { return s.notifier }
func (s *sourceTransfer) Dashboard() awscloudwatch.Dashboard    { return s.dashboard }

// NewSourceTransfer adds the source side of a transfer to scope, which must be in the
// source account. The stack may be in any Region: each DataSync object is created in
// the Region where it must live. BASIC-mode logging and notifications are native
// resources of the task's Region, so they need the stack in the destination Region;
// so does monitoring (on by default: Transfer.Monitoring).
func NewSourceTransfer(scope constructs.Construct, id string, props *SourceTransferProps) SourceTransfer {
	if props == nil {
		props = &SourceTransferProps{}
	}
	t := validated(props.Transfer)
	basicLogging := t.Task.Mode == "BASIC" && t.Task.LogLevel != "OFF"
	requireDestinationRegion(scope, t, basicLogging, t.Notifications.Email != "" || len(props.NotificationTopics) > 0, t.Monitoring.On())

	s := &sourceTransfer{}
	constructs.NewConstruct_Override(s, scope, &id)
	this := s.Construct
	s.accessRole = newBucketAccessRole(this, t)
	logs := newProviderLogs(this, "Provider", t.ProviderFunctionName())
	s.admin = newLocationAdminRole(this, t, s.accessRole, logs, basicLogging)
	s.fn = newProviderFunction(this, "Provider", s.admin, logs, t.ProviderFunctionName(), t.Name+" source")

	s.srcLoc = s.location("SourceLocation", resource.LocationProps{
		Region: t.Source.Region, S3BucketArn: t.BucketArn(t.Source.Bucket), Subdirectory: t.Source.Prefix,
		Name: t.Name + "-source",
	})
	s.dstLoc = s.location("DestinationLocation", resource.LocationProps{
		Region: t.Destination.Region, S3BucketArn: t.BucketArn(t.Destination.Bucket), Subdirectory: t.Destination.Prefix,
		S3StorageClass: t.Destination.StorageClass, Name: t.Name + "-destination",
	})

	taskProps := resource.TaskProps{
		Region:            t.Destination.Region,
		SourceLocationArn: *s.srcLoc.Ref(), DestinationLocationArn: *s.dstLoc.Ref(),
		Name: t.TaskName(), TaskMode: t.Task.Mode,
		VerifyMode: t.Task.VerifyMode, OverwriteMode: t.Task.OverwriteMode, TransferMode: t.Task.TransferMode,
		PreserveDeletedFiles: t.Task.PreserveDeletedFiles, ObjectTags: t.Task.ObjectTags, LogLevel: t.Task.LogLevel,
		BytesPerSecond: strconv.FormatInt(t.Task.BytesPerSecond, 10),
		Includes:       strings.Join(t.Task.Includes, "|"), Excludes: strings.Join(t.Task.Excludes, "|"),
		Schedule: t.Task.Schedule,
	}
	if r := t.Task.Report; r != nil {
		taskProps.ReportBucketArn, taskProps.ReportSubdirectory = t.BucketArn(r.Bucket), r.Prefix
		taskProps.ReportRoleArn, taskProps.ReportLevel = *s.accessRole.RoleArn(), r.Level
	}
	var logging []constructs.IDependable
	if basicLogging {
		taskProps.CloudWatchLogGroupArn = fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s", t.Partition(), t.Destination.Region, t.Source.Account, t.LogGroupName())
		logging = s.basicLogging(t)
	}
	s.task = awscdk.NewCustomResource(this, jsii.String("Task"), &awscdk.CustomResourceProps{
		ServiceToken: s.fn.FunctionArn(),
		ResourceType: jsii.String(resource.TypeTask),
		Properties:   toProps(taskProps),
	})
	s.task.Node().AddDependency(logging...)

	if t.Task.StartOnDeploy {
		awscdk.NewCustomResource(this, jsii.String("FirstExecution"), &awscdk.CustomResourceProps{
			ServiceToken: s.fn.FunctionArn(),
			ResourceType: jsii.String(resource.TypeTaskExecution),
			Properties:   toProps(resource.TaskExecutionProps{Region: t.Destination.Region, TaskArn: *s.task.Ref()}),
		})
	}
	var topics []awssns.ITopic
	if t.Notifications.Email != "" {
		s.topic = newEmailTopic(this, t)
		topics = append(topics, s.topic)
	}
	topics = append(topics, props.NotificationTopics...)
	switch {
	case t.Monitoring.On():
		s.notifier = newNotifier(this, t, s.task.Ref(), topics)
		if t.Monitoring.Dashboard == spec.DashboardTransfer {
			s.dashboard = newTransferDashboard(this, t, s.task.Ref())
		}
	case len(topics) > 0:
		newFailureNotifications(this, t, s.task.Ref(), topics)
	}
	return s
}

// requireDestinationRegion fails early when a feature needs native resources in the
// task's Region but the stack is elsewhere.
func requireDestinationRegion(scope constructs.Construct, t spec.Transfer, basicLogging, notifications, monitoring bool) {
	if stackRegionIs(scope, t.Destination.Region) {
		return
	}
	var needs []string
	if basicLogging {
		needs = append(needs, "BASIC-mode logging (a log group in the task's Region)")
	}
	if notifications {
		needs = append(needs, "notifications (an EventBridge rule where the task emits its events)")
	}
	if monitoring {
		needs = append(needs, "monitoring (its EventBridge rules, where the task emits its events)")
	}
	if len(needs) == 0 {
		return
	}
	region := awscdk.Stack_Of(scope).Region()
	panic(fmt.Sprintf("transfer %q: %s need(s) the stack in the destination Region %s, but the stack of %s is in %s. "+
		"Put the source side in a stack in %s (as NewSourceStack does), or use task mode ENHANCED (logs go to /aws/datasync) "+
		"or task.logLevel OFF, leave notifications out and set monitoring.enabled: false.",
		t.Name, strings.Join(needs, " and "), t.Destination.Region, *scope.Node().Path(), *region, t.Destination.Region))
}

func (s *sourceTransfer) location(id string, p resource.LocationProps) awscdk.CustomResource {
	p.BucketAccessRoleArn = *s.accessRole.RoleArn()
	loc := awscdk.NewCustomResource(s, jsii.String(id), &awscdk.CustomResourceProps{
		ServiceToken: s.fn.FunctionArn(),
		ResourceType: jsii.String(resource.TypeS3Location),
		Properties:   toProps(p),
	})
	// The location access test assumes the role: its policy must exist first.
	loc.Node().AddDependency(s.accessRole)
	return loc
}

// newBucketAccessRole is the tutorial's "source-datasync-role": trusted by DataSync of
// this account only, reading the source bucket and writing the destination bucket.
func newBucketAccessRole(scope constructs.Construct, t spec.Transfer) awsiam.Role {
	props := awsiam.RoleProps{
		RoleName:    jsii.String(t.BucketAccessRoleName()),
		Description: jsii.String(fmt.Sprintf("DataSync reads s3://%s and writes s3://%s (transfer %s)", t.Source.Bucket, t.Destination.Bucket, t.Name)),
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("datasync.amazonaws.com"), &awsiam.ServicePrincipalOpts{
			Conditions: &map[string]interface{}{
				"StringEquals": map[string]interface{}{"aws:SourceAccount": t.Source.Account},
				"ArnLike":      map[string]interface{}{"aws:SourceArn": fmt.Sprintf("arn:%s:datasync:*:%s:*", t.Partition(), t.Source.Account)},
			},
		}),
	}
	// spec.BucketAccessPolicy is the policy whose size validation checked.
	p := &inlinePolicy{}
	var findings []string
	for _, st := range t.BucketAccessPolicy() {
		p.add(st)
		for _, r := range st.Resource {
			if strings.Contains(r, "*") {
				findings = append(findings, "Resource::"+r)
			}
		}
	}
	role := newRole(scope, "BucketAccessRole", props, "BucketAccess", p, fmt.Sprintf("transfer %q", t.Name))
	suppress(role, "AwsSolutions-IAM5",
		"DataSync transfers every object under the transfer's prefix of the two buckets (and writes task reports under their prefix); "+
			"object ARNs are only known as bucket/prefix/*. A created destination key is matched by its alias.",
		findings...)
	return role
}

// newLocationAdminRole is the tutorial's "source-user-role", as the provider Lambda's
// execution role: it creates the locations and the task with its own credentials,
// which the destination bucket policy names. Its policy is built from the
// provider's own table of the calls each resource type makes
// (resource.RequiredActions): what creates and updates of this config's resources
// call, in the transfer's Regions, and what the delete of any resource the provider
// serves calls, in every Region of the account, whatever the config. In an update
// CloudFormation applies the new policy first and deletes removed or replaced
// resources last, so the cleanup of any earlier config (a BASIC task's shared logs
// resource policy, a location in a former source Region) must still be allowed.
func newLocationAdminRole(scope constructs.Construct, t spec.Transfer, accessRole awsiam.Role, logs awslogs.LogGroup, basicLogging bool) awsiam.Role {
	policy := &inlinePolicy{}
	policy.allowLogs(logs)
	p, acct := t.Partition(), t.Source.Account
	regions := []string{t.Source.Region}
	if t.CrossRegion() {
		regions = append(regions, t.Destination.Region)
	}
	// Actions by the resources they are granted on, in a stable order.
	byResources := map[string][]string{}
	var order []string
	var findings []string
	present := []string{resource.TypeS3Location, resource.TypeTask}
	if t.Task.StartOnDeploy {
		present = append(present, resource.TypeTaskExecution)
	}
	if basicLogging {
		present = append(present, resource.TypeLogsResourcePolicy)
	}
	// Creates and updates of the present resource types, deletes of every type the
	// source provider serves.
	deletes := providerActions(sourceProviderTypes, resource.Delete)
	actions := append(providerActions(present, resource.Create, resource.Update), deletes...)
	slices.Sort(actions)
	for _, action := range slices.Compact(actions) {
		var resources []string
		switch action {
		case "s3:ListBucket":
			// The location access test lists both buckets as this role; each grant is
			// pinned to the account that owns the bucket.
			for _, b := range []struct{ bucket, account string }{{t.Source.Bucket, t.Source.Account}, {t.Destination.Bucket, t.Destination.Account}} {
				policy.allow([]string{action}, []string{t.BucketArn(b.bucket)},
					map[string]interface{}{"StringEquals": map[string]interface{}{"aws:ResourceAccount": b.account}})
			}
			continue
		case "iam:PassRole":
			// Only the bucket-access role (locations, task report), only to DataSync.
			policy.allow([]string{action}, []string{*accessRole.RoleArn()},
				map[string]interface{}{"StringEquals": map[string]interface{}{"iam:PassedToService": "datasync.amazonaws.com"}})
			continue
		case "iam:CreateServiceLinkedRole":
			// CreateTask in ENHANCED mode creates DataSync's service-linked role once per
			// account.
			if t.Task.Mode != "ENHANCED" {
				continue
			}
			policy.allow([]string{action},
				[]string{fmt.Sprintf("arn:%s:iam::%s:role/aws-service-role/datasync.amazonaws.com/AWSServiceRoleForDataSync", p, acct)},
				map[string]interface{}{"StringEquals": map[string]interface{}{"iam:AWSServiceName": "datasync.amazonaws.com"}})
			continue
		}
		inRegions := regions
		if slices.Contains(deletes, action) {
			inRegions = []string{"*"}
		}
		for _, pattern := range resource.ActionResources(action) {
			if pattern == "*" {
				resources = append(resources, "*")
				continue
			}
			for _, r := range inRegions {
				resources = append(resources, strings.NewReplacer(resource.ResPartition, p, resource.ResRegion, r, resource.ResAccount, acct).Replace(pattern))
			}
		}
		key := strings.Join(resources, " ")
		if _, ok := byResources[key]; !ok {
			order = append(order, key)
		}
		byResources[key] = append(byResources[key], action)
	}
	for _, key := range order {
		resources := strings.Split(key, " ")
		policy.allow(byResources[key], resources, nil)
		findings = append(findings, prefixAll("Resource::", resources)...)
	}
	slices.Sort(findings)
	role := newRole(scope, "LocationAdminRole", awsiam.RoleProps{
		RoleName:    jsii.String(t.LocationAdminRoleName()),
		Description: jsii.String(fmt.Sprintf("Creates the DataSync locations and task of transfer %s", t.Name)),
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
	}, "LocationAdmin", policy, fmt.Sprintf("transfer %q", t.Name))
	suppress(role, "AwsSolutions-IAM5",
		"DataSync location and task IDs are generated, so their ARNs are scoped to this account (and, except for the deletes a later "+
			"update's cleanup makes, to the Regions of the transfer); datasync:CreateLocationS3, CreateTask, the List actions and the "+
			"CloudWatch Logs resource-policy actions support no resource-level permissions.",
		slices.Compact(findings)...)
	return role
}

// sourceProviderTypes are the resource types the source side's provider serves.
var sourceProviderTypes = []string{resource.TypeS3Location, resource.TypeTask, resource.TypeTaskExecution, resource.TypeLogsResourcePolicy}

func prefixAll(prefix string, list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = prefix + s
	}
	return out
}

// basicLogging creates the task's log group and the shared resource policy that lets
// DataSync write to it. It returns what the task must wait for.
func (s *sourceTransfer) basicLogging(t spec.Transfer) []constructs.IDependable {
	logGroup := awslogs.NewLogGroup(s, jsii.String("TaskLogs"), &awslogs.LogGroupProps{
		LogGroupName: jsii.String(t.LogGroupName()),
		Retention:    retentionDays[t.Task.LogRetentionDays],
		// Deleted with the stack so that a redeploy can create it again.
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	s.logGroup = logGroup
	p, region, acct := t.Partition(), t.Destination.Region, t.Source.Account
	doc, _ := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Sid":       "DataSyncLogsToCloudWatchLogs",
			"Effect":    "Allow",
			"Principal": map[string]any{"Service": "datasync.amazonaws.com"},
			"Action":    []string{"logs:PutLogEvents", "logs:CreateLogStream"},
			"Resource":  fmt.Sprintf("arn:%s:logs:%s:%s:log-group:/aws/datasync/*:*", p, region, acct),
			"Condition": map[string]any{
				"ArnLike":      map[string]any{"aws:SourceArn": fmt.Sprintf("arn:%s:datasync:%s:%s:task/*", p, region, acct)},
				"StringEquals": map[string]any{"aws:SourceAccount": acct},
			},
		}},
	})
	policy := awscdk.NewCustomResource(s, jsii.String("LogsResourcePolicy"), &awscdk.CustomResourceProps{
		ServiceToken: s.fn.FunctionArn(),
		ResourceType: jsii.String(resource.TypeLogsResourcePolicy),
		Properties: toProps(resource.LogsResourcePolicyProps{
			Region: region, PolicyName: LogsResourcePolicyName, PolicyDocument: string(doc), LogGroupPrefix: "/aws/datasync/",
		}),
	})
	return []constructs.IDependable{logGroup, policy}
}

// newEmailTopic is the topic of notifications.email. Its construct ID stays
// FailureTopic whether monitoring is on or off, so that switching keeps the topic and
// its confirmed subscription.
func newEmailTopic(scope constructs.Construct, t spec.Transfer) awssns.ITopic {
	topic := awssns.NewTopic(scope, jsii.String("FailureTopic"), &awssns.TopicProps{
		DisplayName: jsii.String("DataSync " + t.Name),
		EnforceSSL:  jsii.Bool(true),
	})
	topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(t.Notifications.Email), nil))
	return topic
}

// newFailureNotifications sends every execution of the task that ends in ERROR to the
// topics, as one line (monitoring off; with monitoring on the notifier does this).
func newFailureNotifications(scope constructs.Construct, t spec.Transfer, taskArn *string, topics []awssns.ITopic) {
	var targets []awsevents.IRuleTarget
	for _, topic := range topics {
		targets = append(targets, awseventstargets.NewSnsTopic(topic, &awseventstargets.SnsTopicProps{
			Message: awsevents.RuleTargetInput_FromText(jsii.String(fmt.Sprintf(
				"DataSync transfer %s (s3://%s -> s3://%s): execution %s ended in ERROR. See the task's logs and the DataSync console.",
				t.Name, t.Source.Bucket, t.Destination.Bucket, *awsevents.EventField_FromPath(jsii.String("$.resources[0]"))))),
		}))
	}
	awsevents.NewRule(scope, jsii.String("FailedExecutions"), &awsevents.RuleProps{
		Description: jsii.String(fmt.Sprintf("Failed executions of DataSync transfer %s", t.Name)),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings("aws.datasync"),
			DetailType: jsii.Strings("DataSync Task Execution State Change"),
			Resources:  awsevents.Match_Prefix(jsii.String(*taskArn + "/execution/")),
			Detail:     &map[string]interface{}{"State": []string{"ERROR"}},
		},
		Targets: &targets,
	})
}

// retentionDays maps spec.LogRetentionDaysAllowed to the CDK's names for them.
var retentionDays = map[int]awslogs.RetentionDays{
	1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
	7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
	60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
	150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
	400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS, 731: awslogs.RetentionDays_TWO_YEARS,
	1096: awslogs.RetentionDays_THREE_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS, 3288: awslogs.RetentionDays_NINE_YEARS,
	3653: awslogs.RetentionDays_TEN_YEARS,
}
