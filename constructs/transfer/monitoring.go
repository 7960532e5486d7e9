package transfer

import (
	"fmt"
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
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	monres "github.com/s3transfer/cdk-datasync/constructs/monitor/resource"
	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

// NotifierTimeout bounds one run of the notifier (a check reads a few executions).
const NotifierTimeout = 60

// newNotifier adds the transfer's notifier: a Go Lambda (constructs/monitor/lambda)
// that a rule invokes for each finished execution of the task and a schedule every
// spec.CheckIntervalMinutes, publishing to topics. Its role's policy is built from
// monres.RequiredActions, the notifier's own table of the calls it makes.
func newNotifier(scope constructs.Construct, t spec.Transfer, taskArn *string, topics []awssns.ITopic) awslambda.Function {
	logs := newProviderLogs(scope, "Notifier", t.NotifierFunctionName())
	policy := &inlinePolicy{}
	policy.allowLogs(logs)
	var topicArns, keyArns []string
	for _, topic := range topics {
		topicArns = append(topicArns, *topic.TopicArn())
		// A publisher to a topic with server-side encryption needs kms:GenerateDataKey
		// and kms:Decrypt on its key (SNS developer guide, "Encryption at rest": key
		// management); without them every Publish fails with KMS.AccessDeniedException.
		// The key's policy must allow IAM policies of the account (the default).
		if key := topic.MasterKey(); key != nil {
			keyArns = append(keyArns, *key.KeyArn())
		}
	}
	byResource := map[string][]string{}
	for _, action := range monres.RequiredActions(monres.ExecutionEvent, monres.Check) {
		r := monres.ActionResource(action)
		if r == "topic" && len(topicArns) == 0 {
			continue
		}
		byResource[r] = append(byResource[r], action)
	}
	for _, r := range []string{"task", "*", "topic"} {
		if len(byResource[r]) == 0 {
			continue
		}
		resources := map[string][]string{"task": {*taskArn, *taskArn + "/execution/*"}, "*": {"*"}, "topic": topicArns}[r]
		policy.allow(byResource[r], resources, nil)
	}
	if len(keyArns) > 0 {
		policy.allow([]string{"kms:Decrypt", "kms:GenerateDataKey"}, keyArns, nil)
	}
	role := newRole(scope, "NotifierRole", awsiam.RoleProps{
		RoleName:    jsii.String(t.NotifierRoleName()),
		Description: jsii.String(fmt.Sprintf("Reads DataSync transfer %s's task and executions and sends its notifications", t.Name)),
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
	}, "Notifier", policy, fmt.Sprintf("transfer %q's notifier", t.Name))
	// The task's ARN is the provider's Ref: cdk-nag names it by its logical ID.
	cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
		Id: jsii.String("AwsSolutions-IAM5"),
		Reason: jsii.String("The executions of the task have generated IDs (task/<id>/execution/*); " +
			"datasync:ListTaskExecutions supports no resource-level permissions."),
		AppliesTo: &[]interface{}{"Resource::*", &cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::<[A-Za-z0-9]+>\/execution\/\*$/`)}},
	}}, jsii.Bool(true))

	logGroup := ""
	switch {
	case t.Task.LogLevel == "OFF":
	case t.Task.Mode == "ENHANCED":
		logGroup = "/aws/datasync"
	default:
		logGroup = t.LogGroupName()
	}
	props := monitorFunctionProps(role, logs, fmt.Sprintf("DataSync transfer %s: readable notifications of what needs attention", t.Name),
		NotifierTimeout, map[string]*string{
			monres.EnvTransfer:      jsii.String(t.Name),
			monres.EnvTaskArn:       taskArn,
			monres.EnvRoute:         jsii.String(route(t)),
			monres.EnvTaskLogGroup:  jsii.String(logGroup),
			monres.EnvStallMinutes:  jsii.String(strconv.Itoa(t.Monitoring.StallMinutes)),
			monres.EnvNotifySuccess: jsii.String(strconv.FormatBool(t.Monitoring.NotifySuccess)),
			monres.EnvPartition:     jsii.String(t.Partition()),
			monres.EnvTopicArns:     awscdk.Fn_Join(jsii.String(","), jsii.Strings(orNone(topicArns)...)),
		})
	props.FunctionName = jsii.String(t.NotifierFunctionName())
	// Lambda retries a failed asynchronous invocation twice: a notification sent
	// twice beats one never sent.
	props.RetryAttempts = jsii.Number(2)
	fn := awslambda.NewFunction(scope, jsii.String("Notifier"), props)
	// The role's policy names the task, which the provider creates: the notifier
	// cannot run before it exists anyway.
	awsevents.NewRule(scope, jsii.String("ExecutionEvents"), &awsevents.RuleProps{
		Description: jsii.String(fmt.Sprintf("Finished executions of DataSync transfer %s, to its notifier", t.Name)),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings("aws.datasync"),
			DetailType: jsii.Strings("DataSync Task Execution State Change"),
			Resources:  awsevents.Match_Prefix(jsii.String(*taskArn + "/execution/")),
			Detail:     &map[string]interface{}{"State": []string{"SUCCESS", "ERROR"}},
		},
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(fn, nil)},
	})
	awsevents.NewRule(scope, jsii.String("Checks"), &awsevents.RuleProps{
		Description: jsii.String(fmt.Sprintf("Checks DataSync transfer %s every %d minutes: schedule disabled by DataSync, stalled run, no recent success",
			t.Name, spec.CheckIntervalMinutes)),
		Schedule: awsevents.Schedule_Rate(awscdk.Duration_Minutes(jsii.Number(spec.CheckIntervalMinutes))),
		Targets:  &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(fn, nil)},
	})
	return fn
}

// monitorFunctionProps are the props of a function of the notifier's binary (Go,
// provided.al2023, arm64, 128 MB).
func monitorFunctionProps(role awsiam.IRole, logs awslogs.ILogGroup, description string, timeoutSeconds float64, env map[string]*string) *awslambda.FunctionProps {
	return &awslambda.FunctionProps{
		Description:  jsii.String(description),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
		Code:         notifierCode(),
		Role:         role,
		MemorySize:   jsii.Number(128),
		Timeout:      awscdk.Duration_Seconds(jsii.Number(timeoutSeconds)),
		LogGroup:     logs,
		Environment:  &env,
	}
}

func orNone(list []string) []string {
	if len(list) == 0 {
		return []string{""}
	}
	return list
}

// route describes where a transfer copies from and to.
func route(t spec.Transfer) string {
	loc := func(bucket, prefix string) string {
		if prefix == "" {
			return "s3://" + bucket
		}
		return "s3://" + bucket + "/" + strings.Trim(prefix, "/")
	}
	return fmt.Sprintf("%s (%s) -> %s (%s, account %s)", loc(t.Source.Bucket, t.Source.Prefix), t.Source.Region,
		loc(t.Destination.Bucket, t.Destination.Prefix), t.Destination.Region, t.Destination.Account)
}

// Metrics DataSync publishes per task (namespace AWS/DataSync, dimension TaskId,
// every 5 minutes; DataSync user guide, "Monitoring AWS DataSync with Amazon
// CloudWatch"). Prepare-phase metrics are graphed for BASIC tasks only: ENHANCED
// tasks report what they listed, prepared and failed in DescribeTaskExecution, which
// the notifications and the shared dashboard's table show.
var (
	throughputMetrics = []string{"BytesTransferred", "BytesWritten"}
	objectMetrics     = map[string][]string{
		"ENHANCED": {"FilesTransferred", "FilesVerifiedDestination"},
		"BASIC":    {"FilesPreparedSource", "FilesPreparedDestination", "FilesTransferred", "FilesVerifiedSource", "FilesVerifiedDestination"},
	}
)

// newTransferDashboard is the transfer's own dashboard (monitoring.dashboard
// "transfer"): its task's metrics, by the TaskId of the task the provider created.
func newTransferDashboard(scope constructs.Construct, t spec.Transfer, taskArn *string) awscloudwatch.Dashboard {
	taskID := awscdk.Fn_Select(jsii.Number(1), awscdk.Fn_Split(jsii.String("/"), taskArn, nil))
	metrics := func(names []string) *[]awscloudwatch.IMetric {
		var out []awscloudwatch.IMetric
		for _, n := range names {
			out = append(out, awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
				Namespace: jsii.String("AWS/DataSync"), MetricName: jsii.String(n),
				DimensionsMap: &map[string]*string{"TaskId": taskID},
				Statistic:     jsii.String("Sum"), Period: awscdk.Duration_Minutes(jsii.Number(5)),
			}))
		}
		return &out
	}
	d := awscloudwatch.NewDashboard(scope, jsii.String("Dashboard"), &awscloudwatch.DashboardProps{
		DashboardName:   jsii.String(t.TransferDashboardName()),
		DefaultInterval: awscdk.Duration_Days(jsii.Number(7)),
	})
	d.AddWidgets(awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{
		Markdown: awscdk.Fn_Join(jsii.String(""), jsii.Strings(
			fmt.Sprintf("## DataSync transfer %s (%s mode)\n%s\n\n", t.Name, t.Task.Mode, route(t)),
			fmt.Sprintf("[Task in the DataSync console](%s#/tasks/", consoleURL(t)), *taskID, ") · ",
			fmt.Sprintf("[All transfers of this account and Region](%s)", t.DashboardURL(t.SharedDashboardName())),
		)),
		Width: jsii.Number(24), Height: jsii.Number(3),
	}))
	d.AddWidgets(
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String(t.Name + ": bytes per 5 minutes"), Left: metrics(throughputMetrics), Width: jsii.Number(12),
		}),
		awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String(fmt.Sprintf("%s: objects per 5 minutes (%s)", t.Name, t.Task.Mode)), Left: metrics(objectMetrics[t.Task.Mode]), Width: jsii.Number(12),
		}),
	)
	return d
}

// TransfersDashboardProps configure a TransfersDashboard.
type TransfersDashboardProps struct {
	// Transfers are the transfers whose source side is in this stack's account and
	// Region (the source account, the destination Region). Required.
	Transfers []spec.Transfer
	// DashboardName is the dashboard's name. Default: datasync-<account>-<region> of
	// the first transfer (spec.SharedDashboardName).
	DashboardName *string
}

// TransfersDashboard is the one dashboard of every transfer of a source account and
// Region: a live table (a custom widget backed by a small Go function: each task's
// state, schedule, last run and its counters per mode, links to the transfer's own
// view) and graphs of every task's bytes and objects over time.
type TransfersDashboard interface {
	constructs.Construct
	// Dashboard is the CloudWatch dashboard.
	Dashboard() awscloudwatch.Dashboard
	// WidgetFunction renders the live table.
	WidgetFunction() awslambda.IFunction
}

type transfersDashboard struct {
	constructs.Construct
	dashboard awscloudwatch.Dashboard
	fn        awslambda.Function
}

func (d *transfersDashboard) Dashboard() awscloudwatch.Dashboard  { return d.dashboard }
func (d *transfersDashboard) WidgetFunction() awslambda.IFunction { return d.fn }

// NewTransfersDashboard adds the shared dashboard of the transfers to scope, which
// must be in their source account and destination Region. It reads the tasks by name
// at every view, so it needs no reference to the source stacks and never holds a
// stale task ID.
func NewTransfersDashboard(scope constructs.Construct, id string, props *TransfersDashboardProps) TransfersDashboard {
	if props == nil || len(props.Transfers) == 0 {
		panic("TransfersDashboard: Transfers is required")
	}
	var ts []spec.Transfer
	for i := range props.Transfers {
		ts = append(ts, validated(&props.Transfers[i]))
	}
	first := ts[0]
	for _, t := range ts[1:] {
		if t.Source.Account != first.Source.Account || t.Destination.Region != first.Destination.Region {
			panic(fmt.Sprintf("TransfersDashboard: transfer %q has its source side in account %s, %s; transfer %q in %s, %s: one dashboard serves one account and Region",
				t.Name, t.Source.Account, t.Destination.Region, first.Name, first.Source.Account, first.Destination.Region))
		}
	}
	name := first.SharedDashboardName()
	if props.DashboardName != nil {
		name = *props.DashboardName
	}
	d := &transfersDashboard{}
	constructs.NewConstruct_Override(d, scope, &id)
	this := d.Construct

	var rows []monres.WidgetTransfer
	for _, t := range ts {
		row := monres.WidgetTransfer{Name: t.Name, Route: route(t)}
		if t.Monitoring.Dashboard == spec.DashboardTransfer {
			row.Dashboard = t.TransferDashboardName()
		}
		rows = append(rows, row)
	}
	account, region, p := first.Source.Account, first.Destination.Region, first.Partition()
	logs := newProviderLogs(this, "Widget", "")
	policy := &inlinePolicy{}
	policy.allowLogs(logs)
	tasks := []string{fmt.Sprintf("arn:%s:datasync:%s:%s:task/*", p, region, account)}
	var anywhere, onTasks []string
	for _, a := range monres.RequiredActions(monres.DashboardWidget) {
		if monres.ActionResource(a) == "*" {
			anywhere = append(anywhere, a)
		} else {
			onTasks = append(onTasks, a)
		}
	}
	policy.allow(anywhere, []string{"*"}, nil)
	policy.allow(onTasks, tasks, nil)
	role := newRole(this, "WidgetRole", awsiam.RoleProps{
		Description: jsii.String("Reads the DataSync tasks of this account and Region for the transfers dashboard " + name),
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
	}, "Widget", policy, "the transfers dashboard "+name)
	suppress(role, "AwsSolutions-IAM5",
		"The dashboard lists the transfers' tasks by name (datasync:ListTasks supports no resource-level permissions) "+
			"and reads them by their generated IDs, only in this account and Region.",
		append([]string{"Resource::*"}, prefixAll("Resource::", tasks)...)...)
	d.fn = awslambda.NewFunction(this, jsii.String("Widget"), monitorFunctionProps(role, logs,
		"DataSync transfers dashboard "+name+": the live table", 30, map[string]*string{
			monres.EnvWidgetTransfers: jsii.String(mustJSON(rows)),
			monres.EnvPartition:       jsii.String(p),
		}))

	d.dashboard = awscloudwatch.NewDashboard(this, jsii.String("Resource"), &awscloudwatch.DashboardProps{
		DashboardName:   jsii.String(name),
		DefaultInterval: awscdk.Duration_Days(jsii.Number(7)),
	})
	var names []string
	for _, t := range ts {
		names = append(names, t.Name)
	}
	d.dashboard.AddWidgets(awscloudwatch.NewTextWidget(&awscloudwatch.TextWidgetProps{
		Markdown: jsii.String(fmt.Sprintf("## DataSync transfers of account %s in %s\n%d transfer(s): %s. The table is read from DataSync at every view; "+
			"the graphs show every task of this account and Region by TaskId (the table's task links name them).",
			account, region, len(ts), strings.Join(names, ", "))),
		Width: jsii.Number(24), Height: jsii.Number(2),
	}))
	d.dashboard.AddWidgets(awscloudwatch.NewCustomWidget(&awscloudwatch.CustomWidgetProps{
		FunctionArn: d.fn.FunctionArn(), Title: jsii.String("Transfers: state, last run, counters"),
		Width: jsii.Number(24), Height: jsii.Number(float64(min(3+len(ts), 30))),
		UpdateOnRefresh: jsii.Bool(true),
	}))
	search := func(metric string) awscloudwatch.IMetric {
		return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
			Expression: jsii.String(fmt.Sprintf(`SEARCH('{AWS/DataSync,TaskId} MetricName="%s"', 'Sum', 300)`, metric)),
			Label:      jsii.String(""),
			Period:     awscdk.Duration_Minutes(jsii.Number(5)),
			// SEARCH finds metrics itself; the expression uses no others.
			UsingMetrics: &map[string]awscloudwatch.IMetric{},
		})
	}
	var graphs []awscloudwatch.IWidget
	for _, g := range []struct{ title, metric string }{
		{"Bytes transferred per 5 minutes, by task", "BytesTransferred"},
		{"Bytes written per 5 minutes, by task", "BytesWritten"},
		{"Objects transferred per 5 minutes, by task", "FilesTransferred"},
		{"Objects verified at the destination per 5 minutes, by task", "FilesVerifiedDestination"},
	} {
		graphs = append(graphs, awscloudwatch.NewGraphWidget(&awscloudwatch.GraphWidgetProps{
			Title: jsii.String(g.title), Left: &[]awscloudwatch.IMetric{search(g.metric)}, Width: jsii.Number(12),
		}))
	}
	d.dashboard.AddWidgets(graphs[0], graphs[1])
	d.dashboard.AddWidgets(graphs[2], graphs[3])
	return d
}

// MonitoringStackName is the stack of a source account and Region's shared
// dashboard: datasync-monitoring-<account>-<region>.
func MonitoringStackName(account, region string) string {
	return spec.MonitoringStackName(account, region)
}

// MonitoringStackProps configure a MonitoringStack.
type MonitoringStackProps struct {
	awscdk.StackProps
	// Transfers are the transfers whose source side is in one account and Region.
	// Required.
	Transfers []spec.Transfer
}

// NewMonitoringStack creates the stack of the shared dashboard of transfers whose
// source side is in one account and Region. Its environment is that account and
// Region unless props.Env says otherwise; its name is
// datasync-monitoring-<account>-<region> unless props.StackName says otherwise.
func NewMonitoringStack(scope constructs.Construct, id string, props *MonitoringStackProps) awscdk.Stack {
	if props == nil || len(props.Transfers) == 0 {
		panic("MonitoringStack: Transfers is required")
	}
	first := validated(&props.Transfers[0])
	sp := withDefaults(props.StackProps, first.Source.Account, first.Destination.Region,
		MonitoringStackName(first.Source.Account, first.Destination.Region),
		fmt.Sprintf("DataSync: the dashboard of %d transfer(s) of account %s in %s", len(props.Transfers), first.Source.Account, first.Destination.Region))
	stack := awscdk.NewStack(scope, &id, &sp)
	d := NewTransfersDashboard(stack, "Dashboard", &TransfersDashboardProps{Transfers: props.Transfers})
	awscdk.NewCfnOutput(stack, jsii.String("DashboardUrl"), &awscdk.CfnOutputProps{
		Description: jsii.String("The transfers dashboard"),
		Value:       jsii.String(first.DashboardURL(*d.Dashboard().DashboardName())),
	})
	return stack
}
