package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/cfn"
)

const foreignPolicy = `{
  "Version": "2012-10-17",
  "Id": "team-policy",
  "Statement": [
    {"Sid": "AnalyticsRead", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::333333333333:root"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-dst/*"},
    {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::acme-dst", "arn:aws:s3:::acme-dst/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
  ]
}`

func stmt(sid, action string) string {
	b, _ := json.Marshal(map[string]any{
		"Sid": sid, "Effect": "Allow", "Principal": map[string]string{"AWS": "arn:aws:iam::111111111111:root"},
		"Action": action, "Resource": "arn:aws:s3:::acme-dst",
	})
	return string(b)
}

func statementsProps(sids ...string) BucketPolicyStatementsProps {
	parts := make([]string, len(sids))
	for i, s := range sids {
		parts[i] = stmt(s, "s3:ListBucket")
	}
	return BucketPolicyStatementsProps{Region: "us-west-2", Bucket: "acme-dst", Statements: "[" + strings.Join(parts, ",") + "]"}
}

// policyStatements parses a stored policy into its statements, keyed by Sid
// (statements without one under "#<index>").
func policyStatements(t *testing.T, policy string) map[string]map[string]any {
	t.Helper()
	var doc struct{ Statement []map[string]any }
	if err := json.Unmarshal([]byte(policy), &doc); err != nil {
		t.Fatalf("stored policy is not valid JSON: %v\n%s", err, policy)
	}
	out := map[string]map[string]any{}
	for i, s := range doc.Statement {
		key, _ := s["Sid"].(string)
		if key == "" {
			key = fmt.Sprintf("#%d", i)
		}
		if _, dup := out[key]; dup {
			t.Fatalf("Sid %q appears twice in\n%s", key, policy)
		}
		out[key] = s
	}
	return out
}

func TestPolicyMergeKeepsForeignStatements(t *testing.T) {
	w := newWorld()
	w.policies["acme-dst"] = foreignPolicy
	mustHandle(t, w.handler(), event(cfn.RequestCreate, TypeBucketPolicyStatements, "", statementsProps("OursA", "OursB"), nil))

	got := policyStatements(t, w.policies["acme-dst"])
	for _, k := range []string{"AnalyticsRead", "#1", "OursA", "OursB"} {
		if got[k] == nil {
			t.Errorf("statement %s missing from\n%s", k, w.policies["acme-dst"])
		}
	}
	var doc map[string]any
	_ = json.Unmarshal([]byte(w.policies["acme-dst"]), &doc)
	if doc["Id"] != "team-policy" || doc["Version"] != "2012-10-17" {
		t.Errorf("top-level keys changed: %v", doc)
	}
}

func TestPolicyMergeReplacesOursInsteadOfDuplicating(t *testing.T) {
	w := newWorld()
	w.policies["acme-dst"] = foreignPolicy
	h := w.handler()
	old := statementsProps("OursA", "OursB")
	id := mustHandle(t, h, event(cfn.RequestCreate, TypeBucketPolicyStatements, "", old, nil)).PhysicalID

	p := old
	p.Statements = "[" + stmt("OursA", "s3:GetObject") + "]" // OursA changed, OursB dropped
	mustHandle(t, h, event(cfn.RequestUpdate, TypeBucketPolicyStatements, id, p, old))
	mustHandle(t, h, event(cfn.RequestUpdate, TypeBucketPolicyStatements, id, p, p)) // same again

	got := policyStatements(t, w.policies["acme-dst"])
	if len(got) != 3 || got["OursA"]["Action"] != "s3:GetObject" || got["OursB"] != nil {
		t.Errorf("after update:\n%s", w.policies["acme-dst"])
	}
}

func TestPolicyStatementsOfTwoTransfersCoexistAndDeleteLeavesOthers(t *testing.T) {
	w := newWorld()
	w.policies["acme-dst"] = foreignPolicy
	h := w.handler()
	a := statementsProps("DataSyncBucketAccessTransfera", "DataSyncLocationAdminTransfera")
	b := statementsProps("DataSyncBucketAccessTransferb", "DataSyncLocationAdminTransferb")
	idA := mustHandle(t, h, event(cfn.RequestCreate, TypeBucketPolicyStatements, "", a, nil)).PhysicalID
	mustHandle(t, h, event(cfn.RequestCreate, TypeBucketPolicyStatements, "", b, nil))
	if got := policyStatements(t, w.policies["acme-dst"]); len(got) != 6 {
		t.Fatalf("want 2 foreign + 2x2 ours, got\n%s", w.policies["acme-dst"])
	}

	mustHandle(t, h, event(cfn.RequestDelete, TypeBucketPolicyStatements, idA, a, nil))
	got := policyStatements(t, w.policies["acme-dst"])
	if len(got) != 4 || got["DataSyncBucketAccessTransfera"] != nil || got["DataSyncBucketAccessTransferb"] == nil || got["AnalyticsRead"] == nil {
		t.Errorf("after deleting transfer a:\n%s", w.policies["acme-dst"])
	}
}

func TestPolicyDeletedWhenNothingIsLeft(t *testing.T) {
	w := newWorld()
	h := w.handler()
	p := statementsProps("OursA")
	id := mustHandle(t, h, event(cfn.RequestCreate, TypeBucketPolicyStatements, "", p, nil)).PhysicalID
	mustHandle(t, h, event(cfn.RequestDelete, TypeBucketPolicyStatements, id, p, nil))
	if _, ok := w.policies["acme-dst"]; ok || w.count("DeleteBucketPolicy") != 1 {
		t.Errorf("policy left: %q, calls %v", w.policies["acme-dst"], w.calls)
	}
}

func TestPolicyDeleteWhenBucketIsGoneSucceeds(t *testing.T) {
	w := newWorld()
	w.fail["GetBucketPolicy"] = []error{apiError("NoSuchBucket", "The specified bucket does not exist")}
	p := statementsProps("OursA")
	if _, err := w.handler().Handle(context.Background(), event(cfn.RequestDelete, TypeBucketPolicyStatements, "acme-dst/policy-statements", p, nil)); err != nil {
		t.Fatal(err)
	}
}

func TestPolicyDeleteDoesNotRewriteAPolicyWithoutOurs(t *testing.T) {
	w := newWorld()
	w.policies["acme-dst"] = foreignPolicy
	p := statementsProps("OursA")
	mustHandle(t, w.handler(), event(cfn.RequestDelete, TypeBucketPolicyStatements, "acme-dst/policy-statements", p, nil))
	if w.count("PutBucketPolicy") != 0 || w.policies["acme-dst"] != foreignPolicy {
		t.Errorf("foreign policy rewritten: %v", w.calls)
	}
}

func TestPolicyRewrittenWhenAConcurrentWriterDropsOurs(t *testing.T) {
	w := newWorld()
	w.policies["acme-dst"] = foreignPolicy
	drops := 1
	w.onPutPolicy = func(bucket string) {
		if drops > 0 { // another stack's provider read the old policy and writes it back
			drops--
			w.policies[bucket] = foreignPolicy
		}
	}
	mustHandle(t, w.handler(), event(cfn.RequestCreate, TypeBucketPolicyStatements, "", statementsProps("OursA"), nil))
	if got := policyStatements(t, w.policies["acme-dst"]); got["OursA"] == nil || got["AnalyticsRead"] == nil {
		t.Errorf("ours lost to a concurrent writer:\n%s", w.policies["acme-dst"])
	}
	if w.count("PutBucketPolicy") != 2 {
		t.Errorf("want 2 writes, calls %v", w.calls)
	}
}

func TestMergePolicyAcceptsSingleStatementObject(t *testing.T) {
	current := []byte(`{"Version":"2012-10-17","Statement":{"Sid":"Solo","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`)
	merged, err := MergePolicy(current, []Statement{Statement(stmt("Ours", "s3:ListBucket"))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := policyStatements(t, string(merged))
	if got["Solo"] == nil || got["Ours"] == nil {
		t.Errorf("merged = %s", merged)
	}
}

func TestParseStatementsNeedsUniqueSids(t *testing.T) {
	for _, bad := range []string{`{}`, `[{"Effect":"Allow"}]`, "[" + stmt("A", "x") + "," + stmt("A", "y") + "]"} {
		if _, _, err := ParseStatements(bad); err == nil {
			t.Errorf("ParseStatements(%s) accepted", bad)
		}
	}
}

// FuzzMergePolicy checks, for any current policy, that no statement that is not ours
// is ever lost or changed, ours end up exactly once, and merging is idempotent.
func FuzzMergePolicy(f *testing.F) {
	f.Add(foreignPolicy, "OursA", "AnalyticsRead")
	f.Add(`{"Statement":[{"Sid":"OursA","Effect":"Deny"},{"Sid":"OursA"},{"Sid":""}]}`, "OursA", "Gone")
	f.Add(`{"Statement":{"Sid":"x"}}`, "y", "x")
	f.Add(``, "OursA", "")
	f.Fuzz(func(t *testing.T, current, oursSid, removeSid string) {
		if oursSid == "" {
			return
		}
		var doc map[string]json.RawMessage
		if current != "" && json.Unmarshal([]byte(current), &doc) != nil {
			return // S3 only ever returns valid JSON objects
		}
		existing, err := statementList(doc["Statement"])
		if current != "" && doc["Statement"] != nil && err != nil {
			return
		}
		ours := []Statement{Statement(stmt(oursSid, "s3:ListBucket"))}
		oursSid = sidOf(ours[0]) // as JSON carries it (invalid UTF-8 becomes U+FFFD)
		merged, err := MergePolicy([]byte(current), ours, []string{removeSid})
		if err != nil {
			t.Fatalf("merge failed: %v", err)
		}
		var out struct{ Statement []Statement }
		if err := json.Unmarshal(merged, &out); err != nil {
			t.Fatalf("merged policy is not JSON: %v\n%s", err, merged)
		}
		// Every foreign statement survives unchanged.
		for _, s := range existing {
			sid := sidOf(s)
			if sid != "" && (sid == oursSid || sid == removeSid) {
				continue
			}
			kept := false
			for _, m := range out.Statement {
				if jsonEqual(s, m) {
					kept = true
					break
				}
			}
			if !kept {
				t.Fatalf("foreign statement %s lost from\n%s", s, merged)
			}
		}
		// Ours exactly once.
		n := 0
		for _, m := range out.Statement {
			if sidOf(m) == oursSid {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("our statement appears %d times in\n%s", n, merged)
		}
		again, err := MergePolicy(merged, ours, []string{removeSid})
		if err != nil || string(again) != string(merged) {
			t.Fatalf("merge is not idempotent:\n%s\n%s", merged, again)
		}
	})
}
