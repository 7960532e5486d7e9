package transfer

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/s3transfer/cdk-datasync/constructs/spec"
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

// add adds a statement computed by package spec, as it is (the size spec measured is
// the size deployed).
func (p *inlinePolicy) add(st spec.Statement) {
	var obj map[string]interface{}
	if err := json.Unmarshal(spec.IdentityPolicyDocument([]spec.Statement{st}), &obj); err != nil {
		panic(err)
	}
	p.statements = append(p.statements, obj["Statement"].([]interface{})[0].(map[string]interface{}))
}

// newRole creates a role with the policy as its inline policy, named policyName, and
// checks its inline policy and trust policy against IAM's quotas (owner names what
// the role serves in the error).
func newRole(scope constructs.Construct, id string, props awsiam.RoleProps, policyName string, p *inlinePolicy, owner string) awsiam.Role {
	doc := map[string]interface{}{"Version": "2012-10-17", "Statement": p.statements}
	props.InlinePolicies = &map[string]awsiam.PolicyDocument{policyName: awsiam.PolicyDocument_FromJson(doc)}
	role := awsiam.NewRole(scope, jsii.String(id), &props)
	stack := awscdk.Stack_Of(role)
	name := *role.Node().Path()
	if props.RoleName != nil {
		name = *props.RoleName
	}
	if problems := roleQuotaProblems(name, stack.Resolve(doc), stack.Resolve(role.AssumeRolePolicy().ToJSON())); len(problems) > 0 {
		panic(fmt.Sprintf("%s: %s", owner, strings.Join(problems, "; ")))
	}
	return role
}

// roleQuotaProblems checks a role's inline policy (the role's only one) and trust
// policy, as resolved by the CDK, against IAM's quotas (spec.MaxRoleInlinePolicyChars,
// spec.MaxTrustPolicyChars). References the CDK leaves to CloudFormation are counted
// as spec.EstimatedPolicyChars does.
func roleQuotaProblems(role string, inline, trust interface{}) []string {
	var out []string
	for _, q := range []struct {
		what  string
		doc   interface{}
		limit int
		out   string
	}{
		{"inline policy", inline, spec.MaxRoleInlinePolicyChars, "shorter bucket names and prefixes (they are written into its ARNs), or fewer KMS keys and reports per transfer"},
		{"trust policy", trust, spec.MaxTrustPolicyChars, "raise the account's \"Role trust policy length\" quota in Service Quotas"},
	} {
		if size := spec.EstimatedPolicyChars(q.doc); size > q.limit {
			out = append(out, fmt.Sprintf("the %s of role %s would be %d characters (white space not counted), over IAM's quota of %d. Ways out: %s",
				q.what, role, size, q.limit, q.out))
		}
	}
	return out
}
