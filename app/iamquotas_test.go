package main

import (
	"strings"
	"testing"

	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

// policy is a policy document of n characters (white space not counted) with a
// reference to a role's ARN in it (counted as spec.EstimatedReferenceChars).
func policy(n int) map[string]any {
	fixed := len(`{"Statement":[{"Action":"s3:GetObject","Effect":"Allow","Resource":["",""]}],"Version":"2012-10-17"}`) + spec.EstimatedReferenceChars
	return map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Action": "s3:GetObject", "Effect": "Allow",
		"Resource": []any{map[string]any{"Fn::GetAtt": []any{"Other", "Arn"}}, strings.Repeat("a", n-fixed)},
	}}}
}

// iamTemplate has a role with an inline policy of inlineA characters and an
// AWS::IAM::Policy of inlineB attached, a trust policy of trustN characters and a
// managed policy of managedN.
func iamTemplate(inlineA, inlineB, trustN, managedN int) map[string]any {
	return map[string]any{"Resources": map[string]any{
		"Role": map[string]any{"Type": "AWS::IAM::Role", "Properties": map[string]any{
			"RoleName":                 "pipeline-role",
			"AssumeRolePolicyDocument": policy(trustN),
			"Policies":                 []any{map[string]any{"PolicyName": "a", "PolicyDocument": policy(inlineA)}},
		}},
		"RoleDefaultPolicy": map[string]any{"Type": "AWS::IAM::Policy", "Properties": map[string]any{
			"PolicyName": "b", "PolicyDocument": policy(inlineB), "Roles": []any{map[string]any{"Ref": "Role"}},
		}},
		"Managed": map[string]any{"Type": "AWS::IAM::ManagedPolicy", "Properties": map[string]any{"PolicyDocument": policy(managedN)}},
	}}
}

func TestCheckAssemblyIAMQuotasOnBothSidesOfEachBoundary(t *testing.T) {
	half := spec.MaxRoleInlinePolicyChars / 2
	at := writeAssembly(t, iamTemplate(half, half, spec.MaxTrustPolicyChars, spec.MaxManagedPolicyChars), map[string]any{"Resources": map[string]any{}})
	if _, err := checkAssembly(at); err != nil {
		t.Errorf("rejected an assembly at IAM's quotas: %v", err)
	}
	over := writeAssembly(t, map[string]any{"Resources": map[string]any{}}, iamTemplate(half, half+1, spec.MaxTrustPolicyChars+1, spec.MaxManagedPolicyChars+1))
	_, err := checkAssembly(over)
	for _, want := range []string{
		"stack inner: role pipeline-role would have 10241 characters of inline policies (white space not counted), over IAM's quota of 10240 per role",
		"stack inner: role pipeline-role's trust policy would be 2049 characters (white space not counted), over IAM's default quota of 2048",
		"stack inner: managed policy Managed would be 6145 characters (white space not counted), over IAM's quota of 6144 per managed policy",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
