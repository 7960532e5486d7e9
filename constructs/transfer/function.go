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

// newProviderFunction creates the provider Lambda (Go, provided.al2023, arm64) with
// role as its execution role and its own log group. name is the function name, or ""
// for a generated one.
func newProviderFunction(scope constructs.Construct, id string, role awsiam.Role, name, purpose string) awslambda.Function {
	logProps := &awslogs.LogGroupProps{
		Retention:     ProviderLogRetention,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	}
	if name != "" {
		logProps.LogGroupName = jsii.String("/aws/lambda/" + name)
	}
	logs := awslogs.NewLogGroup(scope, jsii.String(id+"Logs"), logProps)
	// Granted inline on the role (not through the log group) so that the function,
	// which depends on its role, never runs before it can log.
	role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
		Resources: jsii.Strings(*logs.LogGroupArn()),
	}))
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
