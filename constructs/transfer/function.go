package transfer

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// ProviderLogRetention is the retention of the provider Lambda's log group.
const ProviderLogRetention = awslogs.RetentionDays_THREE_MONTHS

// newProviderLogs creates the provider Lambda's log group: /aws/lambda/<name>, or a
// generated name for name "". Its role's policy must allow writing to it
// (providerLogsStatement), inline, so the function never runs before it can log.
func newProviderLogs(scope constructs.Construct, id, name string) awslogs.LogGroup {
	logProps := &awslogs.LogGroupProps{
		Retention:     ProviderLogRetention,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	}
	if name != "" {
		logProps.LogGroupName = jsii.String("/aws/lambda/" + name)
	}
	return awslogs.NewLogGroup(scope, jsii.String(id+"Logs"), logProps)
}

// allowLogs lets the provider write to its log group.
func (p *inlinePolicy) allowLogs(logs awslogs.LogGroup) {
	p.allow([]string{"logs:CreateLogStream", "logs:PutLogEvents"}, []string{*logs.LogGroupArn()}, nil)
}

// newProviderFunction creates the provider Lambda (Go, provided.al2023, arm64) with
// role as its execution role and logs as its log group. name is the function name, or
// "" for a generated one.
func newProviderFunction(scope constructs.Construct, id string, role awsiam.Role, logs awslogs.LogGroup, name, purpose string) awslambda.Function {
	props := &awslambda.FunctionProps{
		Description:  jsii.String(fmt.Sprintf("DataSync cross-account provider (%s)", purpose)),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
		Code:         providerCode(),
		Role:         role,
		MemorySize:   jsii.Number(256),
		// Room for the IAM-propagation retries; the provider answers CloudFormation
		// before this runs out.
		Timeout:  awscdk.Duration_Minutes(jsii.Number(15)),
		LogGroup: logs,
		// CloudFormation invokes the function asynchronously. The provider answers
		// every event itself (also on panic and timeout) and never returns an error
		// after answering, so Lambda's retries would only run a create a second time.
		RetryAttempts: jsii.Number(0),
		// An event queued longer (throttling) is dropped rather than run after
		// CloudFormation stopped waiting (one hour): at most 30 minutes queued plus the
		// 15-minute timeout.
		MaxEventAge: awscdk.Duration_Minutes(jsii.Number(30)),
	}
	if name != "" {
		props.FunctionName = jsii.String(name)
	}
	return awslambda.NewFunction(scope, jsii.String(id), props)
}

// inlinePolicy collects the statements of a role's one inline policy, which is
// written into the role itself (AWS::IAM::Role Policies) from one JSON document: the
// role never exists without its permissions, and building it takes one call into the
// CDK instead of two per statement.
type inlinePolicy struct {
	statements []map[string]interface{}
}

// allow adds an Allow statement.
func (p *inlinePolicy) allow(actions, resources []string, conditions map[string]interface{}) {
	s := map[string]interface{}{"Effect": "Allow", "Action": actions, "Resource": resources}
	if conditions != nil {
		s["Condition"] = conditions
	}
	p.statements = append(p.statements, s)
}

// newRole creates a role with the policy as its inline policy, named policyName.
func newRole(scope constructs.Construct, id string, props awsiam.RoleProps, policyName string, p *inlinePolicy) awsiam.Role {
	props.InlinePolicies = &map[string]awsiam.PolicyDocument{
		policyName: awsiam.PolicyDocument_FromJson(map[string]interface{}{"Version": "2012-10-17", "Statement": p.statements}),
	}
	return awsiam.NewRole(scope, jsii.String(id), &props)
}
