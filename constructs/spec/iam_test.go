package spec

import (
	"strconv"
	"strings"
	"testing"
)

func TestPolicyCharsLeavesOutWhiteSpaceBetweenTokensOnly(t *testing.T) {
	for doc, want := range map[string]int{
		`{"a":"b"}`:                     9,
		"{ \"a\" :\n\t\"b\" }":          9,
		`{"a":"b c"}`:                   11, // white space inside a string counts
		`{"a":"\"x\""}`:                 13,
		`{"a":"é"}`:                     9, // characters, not bytes
		`{"Statement":[1, 2,  3]}`:      21,
		`{"a":["x" , "y"]}`:             15,
		"{\"k\":\"\\\\\", \"v\":\"w\"}": 18, // an escaped backslash ends nothing
	} {
		if got := PolicyChars([]byte(doc)); got != want {
			t.Errorf("PolicyChars(%s) = %d, want %d", doc, got, want)
		}
	}
}

// withPrefixes is the valid transfer with each prefix n characters long (letters,
// a '/' every 100), and a task report.
func withPrefixes(src, dst, report int) Transfer {
	p := func(n int, c string) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			if i%100 == 99 && i != n-1 {
				b.WriteString("/")
			} else {
				b.WriteString(c)
			}
		}
		return b.String()
	}
	t := valid()
	t.Source.Prefix, t.Destination.Prefix = p(src, "s"), p(dst, "d")
	t.Task.Report = &Report{Bucket: "acme-reports", Prefix: p(report, "r")}
	return t
}

func bucketAccessChars(t Transfer) int {
	return PolicyChars(IdentityPolicyDocument(t.WithDefaults().BucketAccessPolicy()))
}

// TestBucketAccessPolicyAtIAMsQuota: the bucket-access role's inline policy is
// checked against IAM's 10,240 characters on both sides of the boundary; three
// 4,096-character prefixes (which DataSync allows each) are rejected with the ways out.
func TestBucketAccessPolicyAtIAMsQuota(t *testing.T) {
	// The longest report prefix that fits. The report prefix is written twice (the
	// reports and the re-run manifests under it), so the size grows by two a character.
	report := 1
	for bucketAccessChars(withPrefixes(3000, 3000, report+1)) <= MaxRoleInlinePolicyChars {
		report++
	}
	at, over := withPrefixes(3000, 3000, report), withPrefixes(3000, 3000, report+1)
	if n := bucketAccessChars(at); n < MaxRoleInlinePolicyChars-1 || n > MaxRoleInlinePolicyChars {
		t.Fatalf("size at the boundary = %d", n)
	}
	if err := at.Validate(); err != nil {
		t.Errorf("a %d-character policy rejected: %v", MaxRoleInlinePolicyChars, err)
	}
	err := over.Validate()
	want := `source.prefix: "ssssssssssssssssssssssssssssssssssssssss..." makes the inline policy of the bucket-access role datasync-media-archive-bucket-access ` + strconv.Itoa(bucketAccessChars(over)) + ` characters long (white space not counted), over IAM's quota of 10240 characters per role: each prefix is written into the policy's object ARNs (source.prefix (3000 characters), destination.prefix (3000 characters), task.report.prefix (` + strconv.Itoa(report+1) + ` characters)). Ways out: shorter source and destination prefixes`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("want %q in:\n%v", want, err)
	}

	three := withPrefixes(4096, 4096, 4096)
	err = three.Validate()
	for _, w := range []string{strconv.Itoa(bucketAccessChars(three)) + " characters long", "over IAM's quota of 10240 characters per role", "a shorter task.report.prefix, or no task report"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("three 4,096-character prefixes: want %q in %v", w, err)
		}
	}
	// In a config the problem has its transfer's place.
	if errs := err.(Errors).Prefixed("transfers[3]"); !strings.HasPrefix(errs.Error(), "transfers[3].source.prefix: ") {
		t.Errorf("prefixed: %v", errs)
	}
}

func TestEstimatedPolicyCharsCountsReferences(t *testing.T) {
	join := map[string]any{"Fn::Join": []any{"", []any{
		"arn:", map[string]any{"Ref": "AWS::Partition"}, ":logs:", map[string]any{"Ref": "AWS::Region"}, ":",
		map[string]any{"Ref": "AWS::AccountId"}, ":log-group:x"}}}
	joined := len("arn:") + 10 + len(":logs:") + 14 + 1 + 12 + len(":log-group:x")
	for _, tc := range []struct {
		doc  any
		want int
	}{
		{map[string]any{"a": join}, len(`{"a":""}`) + joined},
		{[]any{map[string]any{"Ref": "Something"}}, len(`[""]`) + EstimatedReferenceChars},
		{[]any{map[string]any{"Fn::GetAtt": []any{"Role", "Arn"}}, "x y"}, len(`["","x y"]`) + EstimatedReferenceChars},
		// A value holding a reference counts as one ARN, as the CDK estimates it.
		{map[string]any{"Fn::Join": []any{"", []any{"arn:", map[string]any{"Ref": "AWS::Partition"}, ":codebuild:", map[string]any{"Ref": "Project"}}}},
			len(`""`) + EstimatedReferenceChars},
	} {
		if got := EstimatedPolicyChars(tc.doc); got != tc.want {
			t.Errorf("EstimatedPolicyChars(%v) = %d, want %d", tc.doc, got, tc.want)
		}
	}
}
