package test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/s3transfer/cdk-datasync/constructs/spec"
	"github.com/s3transfer/cdk-datasync/constructs/transfer"
)

// prefix is a valid prefix of n characters.
func prefix(n int, c string) string {
	p := []byte(strings.Repeat(c, n))
	for i := 99; i < n-1; i += 100 {
		p[i] = '/'
	}
	return string(p)
}

// TestBucketAccessRoleAtIAMsQuotaSynthesizesWhatWasMeasured synthesizes a transfer
// whose bucket-access role policy is exactly at IAM's 10,240 characters, measures the
// policy in the template as IAM would (white space not counted) and finds the size
// validation computed; one character more is rejected before anything is built.
func TestBucketAccessRoleAtIAMsQuotaSynthesizesWhatWasMeasured(t *testing.T) {
	tr := crossRegion()
	tr.Source.Prefix, tr.Destination.Prefix = prefix(3000, "s"), prefix(3000, "d")
	tr.Task.Report = &spec.Report{Bucket: "acme-reports", Prefix: "r"}
	size := func(tr spec.Transfer) int {
		return spec.PolicyChars(spec.IdentityPolicyDocument(tr.WithDefaults().BucketAccessPolicy()))
	}
	// The report prefix is written twice (reports, and re-run manifests under it): the
	// longest that fits, then one character more on the source prefix where one is left.
	n := 1
	for tr.Task.Report.Prefix = prefix(n+1, "r"); size(tr) <= spec.MaxRoleInlinePolicyChars; tr.Task.Report.Prefix = prefix(n+1, "r") {
		n++
	}
	tr.Task.Report.Prefix = prefix(n, "r")
	if size(tr) < spec.MaxRoleInlinePolicyChars {
		tr.Source.Prefix += "s"
	}
	if size(tr) != spec.MaxRoleInlinePolicyChars {
		t.Fatalf("size = %d", size(tr))
	}
	_, tm := sourceStack(t, tr)
	var deployed int
	for _, r := range tm.resources("AWS::IAM::Role") {
		p := r["Properties"].(map[string]any)
		if p["RoleName"] != tr.BucketAccessRoleName() {
			continue
		}
		for _, pol := range p["Policies"].([]any) {
			raw, _ := json.Marshal(pol.(map[string]any)["PolicyDocument"])
			deployed += spec.PolicyChars(raw)
		}
	}
	if deployed != spec.MaxRoleInlinePolicyChars {
		t.Errorf("the template's bucket-access policy is %d characters, validation measured %d", deployed, spec.MaxRoleInlinePolicyChars)
	}

	tr.Source.Prefix += "s"
	app := newApp(t, false)
	msg := expectPanic(t, func() { transfer.NewSourceStack(app, "Over", &transfer.SourceStackProps{Transfer: &tr}) })
	if !strings.Contains(msg, "10241 characters long (white space not counted), over IAM's quota of 10240 characters per role") {
		t.Errorf("panic = %s", msg)
	}
}
