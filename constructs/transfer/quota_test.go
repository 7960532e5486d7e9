package transfer

import (
	"strings"
	"testing"

	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

// doc is a resolved policy document whose size, as IAM counts it, is n characters
// with a reference to a log group's ARN (counted as spec.EstimatedReferenceChars) in it.
func doc(n int) map[string]interface{} {
	d := map[string]interface{}{"Version": "2012-10-17", "Statement": []interface{}{map[string]interface{}{
		"Effect": "Allow", "Action": "logs:PutLogEvents",
		"Resource": []interface{}{map[string]interface{}{"Fn::GetAtt": []interface{}{"Logs", "Arn"}}, ""},
	}}}
	// {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:PutLogEvents","Resource":["<256 x>",""]}]}
	fixed := len(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:PutLogEvents","Resource":["",""]}]}`) + spec.EstimatedReferenceChars
	d["Statement"].([]interface{})[0].(map[string]interface{})["Resource"].([]interface{})[1] = strings.Repeat("a", n-fixed)
	return d
}

func TestRoleQuotasOnBothSidesOfEachBoundary(t *testing.T) {
	trust := func(n int) map[string]interface{} {
		fixed := len(`{"Version":"2012-10-17","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":""}}]}`)
		return map[string]interface{}{"Version": "2012-10-17", "Statement": []interface{}{map[string]interface{}{
			"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": map[string]interface{}{"Service": strings.Repeat("s", n-fixed)},
		}}}
	}
	if p := roleQuotaProblems("r", doc(spec.MaxRoleInlinePolicyChars), trust(spec.MaxTrustPolicyChars)); len(p) != 0 {
		t.Errorf("at the quotas: %v", p)
	}
	p := roleQuotaProblems("datasync-x-location-admin", doc(spec.MaxRoleInlinePolicyChars+1), trust(spec.MaxTrustPolicyChars+1))
	want := []string{
		"the inline policy of role datasync-x-location-admin would be 10241 characters (white space not counted), over IAM's quota of 10240. Ways out: shorter bucket names and prefixes",
		`the trust policy of role datasync-x-location-admin would be 2049 characters (white space not counted), over IAM's quota of 2048. Ways out: raise the account's "Role trust policy length" quota`,
	}
	if len(p) != 2 || !strings.HasPrefix(p[0], want[0]) || !strings.HasPrefix(p[1], want[1]) {
		t.Errorf("over the quotas:\n%s", strings.Join(p, "\n"))
	}
}
