package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3transfer/cdk-datasync/constructs/provider/resource"
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

func statementsProps(sids ...string) resource.BucketPolicyStatementsProps {
	parts := make([]string, len(sids))
	for i, s := range sids {
		parts[i] = stmt(s, "s3:ListBucket")
	}
	return resource.BucketPolicyStatementsProps{Region: "us-west-2", Bucket: "acme-dst", Statements: "[" + strings.Join(parts, ",") + "]"}
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
	mustHandle(t, w.handler(), event(cfn.RequestCreate, resource.TypeBucketPolicyStatements, "", statementsProps("OursA", "OursB"), nil))

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
	id := mustHandle(t, h, event(cfn.RequestCreate, resource.TypeBucketPolicyStatements, "", old, nil)).PhysicalID

	p := old
	p.Statements = "[" + stmt("OursA", "s3:GetObject") + "]" // OursA changed, OursB dropped
	mustHandle(t, h, event(cfn.RequestUpdate, resource.TypeBucketPolicyStatements, id, p, old))
	mustHandle(t, h, event(cfn.RequestUpdate, resource.TypeBucketPolicyStatements, id, p, p)) // same again

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
	idA := mustHandle(t, h, event(cfn.RequestCreate, resource.TypeBucketPolicyStatements, "", a, nil)).PhysicalID
	mustHandle(t, h, event(cfn.RequestCreate, resource.TypeBucketPolicyStatements, "", b, nil))
	if got := policyStatements(t, w.policies["acme-dst"]); len(got) != 6 {
		t.Fatalf("want 2 foreign + 2x2 ours, got\n%s", w.policies["acme-dst"])
	}

	mustHandle(t, h, event(cfn.RequestDelete, resource.TypeBucketPolicyStatements, idA, a, nil))
	got := policyStatements(t, w.policies["acme-dst"])
	if len(got) != 4 || got["DataSyncBucketAccessTransfera"] != nil || got["DataSyncBucketAccessTransferb"] == nil || got["AnalyticsRead"] == nil {
		t.Errorf("after deleting transfer a:\n%s", w.policies["acme-dst"])
	}
}

func TestPolicyDeletedWhenNothingIsLeft(t *testing.T) {
	w := newWorld()
	h := w.handler()
	p := statementsProps("OursA")
	id := mustHandle(t, h, event(cfn.RequestCreate, resource.TypeBucketPolicyStatements, "", p, nil)).PhysicalID
	mustHandle(t, h, event(cfn.RequestDelete, resource.TypeBucketPolicyStatements, id, p, nil))
	if _, ok := w.policies["acme-dst"]; ok || w.count("DeleteBucketPolicy") != 1 {
		t.Errorf("policy left: %q, calls %v", w.policies["acme-dst"], w.calls)
	}
}

func TestPolicyDeleteWhenBucketIsGoneSucceeds(t *testing.T) {
	w := newWorld()
	w.fail["GetBucketPolicy"] = []error{apiError("NoSuchBucket", "The specified bucket does not exist")}
	p := statementsProps("OursA")
	if _, err := w.handler().Handle(context.Background(), event(cfn.RequestDelete, resource.TypeBucketPolicyStatements, "acme-dst/policy-statements", p, nil)); err != nil {
		t.Fatal(err)
	}
}

func TestPolicyDeleteDoesNotRewriteAPolicyWithoutOurs(t *testing.T) {
	w := newWorld()
	w.policies["acme-dst"] = foreignPolicy
	p := statementsProps("OursA")
	mustHandle(t, w.handler(), event(cfn.RequestDelete, resource.TypeBucketPolicyStatements, "acme-dst/policy-statements", p, nil))
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
	mustHandle(t, w.handler(), event(cfn.RequestCreate, resource.TypeBucketPolicyStatements, "", statementsProps("OursA"), nil))
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
		// The check after writing accepts the policy as written, and as S3 gives it back...
		if c := policyConflicts(merged, merged, ours, []string{removeSid}); len(c) > 0 {
			t.Fatalf("the merged policy conflicts with itself: %v\n%s", c, merged)
		}
		if c := policyConflicts([]byte(s3Stored(string(merged))), merged, ours, []string{removeSid}); len(c) > 0 {
			t.Fatalf("S3's reformatting taken for a conflict: %v\n%s", c, merged)
		}
		// ...and notices any one statement gone.
		for i := range out.Statement {
			rest := slices.Delete(slices.Clone(out.Statement), i, i+1)
			dropped, _ := json.Marshal(map[string]any{"Statement": rest})
			if c := policyConflicts(dropped, merged, ours, []string{removeSid}); len(c) == 0 {
				t.Fatalf("statement %d dropped unnoticed from\n%s", i, merged)
			}
		}
	})
}

func TestPolicyConflicts(t *testing.T) {
	ours := []Statement{Statement(stmt("OursA", "s3:ListBucket"))}
	written, err := MergePolicy([]byte(foreignPolicy), ours, nil)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(doc map[string]any, stmts []any) []any) []byte {
		var doc map[string]any
		_ = json.Unmarshal(written, &doc)
		doc["Statement"] = f(doc, doc["Statement"].([]any))
		b, _ := json.Marshal(doc)
		return b
	}
	dup := edit(func(_ map[string]any, s []any) []any { return append(s, s[0]) })
	for _, c := range []struct {
		name          string
		after, before []byte
		remove        []string
		want          string // "" for no conflict
	}{
		{"as written", written, written, nil, ""},
		{"as S3 stores it", []byte(s3Stored(string(written))), written, nil, ""},
		{"actions in another order", edit(func(_ map[string]any, s []any) []any {
			s[0].(map[string]any)["Action"] = []any{"s3:GetObject", "s3:GetObject"}
			return s
		}), written, nil, ""},
		{"someone else's statement added", edit(func(_ map[string]any, s []any) []any {
			return append(s, map[string]any{"Sid": "New", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"})
		}), written, nil, ""},
		{"a statement without Sid gone", edit(func(_ map[string]any, s []any) []any { return slices.Delete(s, 1, 2) }),
			written, nil, `statement {"Effect":"Deny"`},
		{"a statement changed", edit(func(_ map[string]any, s []any) []any {
			s[0].(map[string]any)["Action"] = "s3:*"
			return s
		}), written, nil, `statement "AnalyticsRead" (not ours) is missing or changed`},
		{"one of two identical statements gone", written, dup, nil, `statement "AnalyticsRead" (not ours) is missing or changed`},
		{"ours gone", []byte(foreignPolicy), written, nil, "our statement OursA is missing"},
		{"ours changed", edit(func(_ map[string]any, s []any) []any {
			s[2].(map[string]any)["Effect"] = "Deny"
			return s
		}), written, nil, "our statement OursA was changed"},
		{"a removed one back", edit(func(_ map[string]any, s []any) []any {
			return append(s, map[string]any{"Sid": "OursOld", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"})
		}), written, []string{"OursOld"}, "our removed statement OursOld is back"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := strings.Join(policyConflicts(c.after, c.before, ours, c.remove), "; ")
			if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
				t.Errorf("conflicts = %q, want %q", got, c.want)
			}
		})
	}
}

// hookedS3 is one writer's S3 client in the interleaving test: before runs just
// before its first PutBucketPolicy, wrote is closed right after it, and puts counts
// its writes.
type hookedS3 struct {
	S3API
	before func()
	wrote  chan struct{}
	once   *sync.Once
	puts   *atomic.Int32
}

func (h hookedS3) PutBucketPolicy(ctx context.Context, in *s3.PutBucketPolicyInput, o ...func(*s3.Options)) (*s3.PutBucketPolicyOutput, error) {
	first := false
	h.once.Do(func() { first = true })
	if first && h.before != nil {
		h.before()
	}
	out, err := h.S3API.PutBucketPolicy(ctx, in, o...)
	h.puts.Add(1)
	if first {
		close(h.wrote)
	}
	return out, err
}

// TestTwoWritersInterleavedLoseNothing runs two providers (two stacks' statements on
// one bucket) against one S3 bucket policy: B reads the policy after A read it and
// writes before A writes, so A's write drops B's statements, and B checks back
// after A's write landed, as PolicySettle makes it in real time. Neither side's
// statements, nor the bucket's other statements, may be lost in the end.
func TestTwoWritersInterleavedLoseNothing(t *testing.T) {
	w := newWorld()
	w.policies["acme-dst"] = foreignPolicy
	hA, hB := w.handler(), w.handler()
	aWrote, bWrote := make(chan struct{}), make(chan struct{})
	var aPuts, bPuts atomic.Int32
	bDone := make(chan error, 1)
	b := statementsProps("TransferB1")
	hA.S3 = func(string) S3API {
		return hookedS3{S3API: &fakeS3{w}, wrote: aWrote, once: &sync.Once{}, puts: &aPuts, before: func() {
			go func() {
				_, err := hB.Handle(context.Background(), event(cfn.RequestCreate, resource.TypeBucketPolicyStatements, "", b, nil))
				bDone <- err
			}()
			<-bWrote // B has read the policy A read, and written it with its own statements
		}}
	}
	hB.S3 = func(string) S3API {
		return hookedS3{S3API: &fakeS3{w}, wrote: bWrote, once: &sync.Once{}, puts: &bPuts}
	}
	hB.Retry.Sleep = func(ctx context.Context, d time.Duration) error {
		<-aWrote // B checks back only after A's write has landed
		return nil
	}

	_, errA := hA.Handle(context.Background(), event(cfn.RequestCreate, resource.TypeBucketPolicyStatements, "", statementsProps("TransferA1", "TransferA2"), nil))
	errB := <-bDone
	if errA != nil || errB != nil {
		t.Fatalf("A: %v, B: %v", errA, errB)
	}
	got := policyStatements(t, w.policies["acme-dst"])
	for _, k := range []string{"AnalyticsRead", "#1", "TransferA1", "TransferA2", "TransferB1"} {
		if got[k] == nil {
			t.Errorf("statement %s lost:\n%s", k, w.policies["acme-dst"])
		}
	}
	if len(got) != 5 {
		t.Errorf("want 5 statements, got\n%s", w.policies["acme-dst"])
	}
	// The interleaving was real: A's write dropped B's statement and B wrote again.
	if aPuts.Load() != 1 || bPuts.Load() != 2 {
		t.Errorf("A wrote %d times, B %d times; want 1 and 2", aPuts.Load(), bPuts.Load())
	}
}

func TestPolicyMergeDoesNotRevertALaterEditOfOtherStatements(t *testing.T) {
	w := newWorld()
	w.policies["acme-dst"] = foreignPolicy
	edited := strings.Replace(foreignPolicy, `"Action": "s3:GetObject"`, `"Action": ["s3:GetObject", "s3:GetObjectVersion"]`, 1)
	w.onPutPolicy = func(bucket string) {
		w.onPutPolicy = nil
		// The bucket's owner edits AnalyticsRead right after our write, keeping ours.
		p, _ := MergePolicy([]byte(edited), []Statement{Statement(stmt("OursA", "s3:ListBucket"))}, nil)
		w.policies[bucket] = string(p)
	}
	mustHandle(t, w.handler(), event(cfn.RequestCreate, resource.TypeBucketPolicyStatements, "", statementsProps("OursA"), nil))
	got := policyStatements(t, w.policies["acme-dst"])
	if actions, _ := got["AnalyticsRead"]["Action"].([]any); len(actions) != 2 || got["OursA"] == nil {
		t.Errorf("the later edit was reverted or ours lost:\n%s", w.policies["acme-dst"])
	}
	if n := w.count("PutBucketPolicy"); n != 1 {
		t.Errorf("%d writes; the second round had nothing to write", n)
	}
}

func TestPolicyConflictThatNeverEndsFailsNamingIt(t *testing.T) {
	w := newWorld()
	w.policies["acme-dst"] = foreignPolicy
	w.onPutPolicy = func(bucket string) { w.policies[bucket] = foreignPolicy } // someone restores their copy, every time
	_, err := w.handler().Handle(context.Background(), event(cfn.RequestCreate, resource.TypeBucketPolicyStatements, "", statementsProps("OursA"), nil))
	if err == nil || !strings.Contains(err.Error(), "our statement OursA is missing") || !strings.Contains(err.Error(), "acme-dst") {
		t.Fatalf("want a failure naming the conflict, got %v", err)
	}
	if n := w.count("PutBucketPolicy"); n != maxPolicyWrites {
		t.Errorf("%d writes, want %d", n, maxPolicyWrites)
	}
}

func TestPolicyDeleteRereadsRightBeforeDeletingThePolicy(t *testing.T) {
	w := newWorld()
	h := w.handler()
	p := statementsProps("OursA")
	id := mustHandle(t, h, event(cfn.RequestCreate, resource.TypeBucketPolicyStatements, "", p, nil)).PhysicalID

	// Another writer adds a statement just after the delete's first read.
	w.onGetPolicy = func(bucket string) {
		w.onGetPolicy = nil
		w.mu.Lock()
		defer w.mu.Unlock()
		w.policies[bucket] = strings.Replace(w.policies[bucket], `"Statement": [`, `"Statement": [{"Sid":"AuditRead","Effect":"Allow","Principal":{"AWS":"444444444444"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-dst/audit/*"},`, 1)
	}
	mustHandle(t, h, event(cfn.RequestDelete, resource.TypeBucketPolicyStatements, id, p, nil))
	got := policyStatements(t, w.policies["acme-dst"])
	if w.count("DeleteBucketPolicy") != 0 || got["AuditRead"] == nil || got["OursA"] != nil {
		t.Errorf("calls %v, policy\n%s", w.calls, w.policies["acme-dst"])
	}
}

func TestPolicyDeleteDeletesOnlyAfterASecondRead(t *testing.T) {
	w := newWorld()
	h := w.handler()
	p := statementsProps("OursA")
	id := mustHandle(t, h, event(cfn.RequestCreate, resource.TypeBucketPolicyStatements, "", p, nil)).PhysicalID
	from := len(w.calls)
	mustHandle(t, h, event(cfn.RequestDelete, resource.TypeBucketPolicyStatements, id, p, nil))
	want := []string{"GetBucketPolicy", "GetBucketPolicy", "DeleteBucketPolicy", "GetBucketPolicy"}
	if got := w.calls[from:]; !slices.Equal(got, want) {
		t.Errorf("delete calls %v, want %v", got, want)
	}
}

func TestPolicyMergeHoldsWhenS3ReformatsThePolicy(t *testing.T) {
	w := newWorld()
	w.policies["acme-dst"] = `{"Version":"2012-10-17","Statement":[{"Sid":"Partners","Effect":"Allow",` +
		`"Principal":{"AWS":["555555555555","arn:aws:iam::666666666666:root"]},"Action":["s3:GetObject","s3:ListBucket"],` +
		`"Resource":["arn:aws:s3:::acme-dst","arn:aws:s3:::acme-dst/*"]}]}`
	mustHandle(t, w.handler(), event(cfn.RequestCreate, resource.TypeBucketPolicyStatements, "", statementsProps("OursA"), nil))
	if !strings.Contains(w.policies["acme-dst"], "arn:aws:iam::555555555555:root") {
		t.Fatalf("the fake did not reformat:\n%s", w.policies["acme-dst"])
	}
	if n := w.count("PutBucketPolicy"); n != 1 {
		t.Errorf("%d writes: S3's reformatting was taken for a conflict", n)
	}
}

// paddedPolicy is a foreign policy whose merge with ours is exactly size bytes.
func paddedPolicy(t *testing.T, ours []Statement, size int) string {
	t.Helper()
	policy := func(pad string) string {
		return `{"Version":"2012-10-17","Statement":[{"Sid":"TeamOnly","Effect":"Deny","Principal":"*","Action":"s3:DeleteBucket",` +
			`"Resource":"arn:aws:s3:::acme-dst","Condition":{"StringNotEquals":{"aws:PrincipalTag/team":"` + pad + `"}}}]}`
	}
	merged, err := MergePolicy([]byte(policy("")), ours, nil)
	if err != nil || len(merged) > size {
		t.Fatalf("cannot pad to %d: %v", size, err)
	}
	return policy(strings.Repeat("x", size-len(merged)))
}

func TestPolicySizeLimit(t *testing.T) {
	p := statementsProps("OursA", "OursB")
	ours, _, _ := ParseStatements(p.Statements)
	if MaxBucketPolicyBytes != 20480 {
		t.Fatalf("MaxBucketPolicyBytes = %d, S3's limit is 20 KB", MaxBucketPolicyBytes)
	}

	w := newWorld()
	w.policies["acme-dst"] = paddedPolicy(t, ours, MaxBucketPolicyBytes)
	mustHandle(t, w.handler(), event(cfn.RequestCreate, resource.TypeBucketPolicyStatements, "", p, nil))

	w = newWorld()
	w.policies["acme-dst"] = paddedPolicy(t, ours, MaxBucketPolicyBytes+1)
	_, err := w.handler().Handle(context.Background(), event(cfn.RequestCreate, resource.TypeBucketPolicyStatements, "", p, nil))
	if err == nil {
		t.Fatal("a policy over 20 KB was accepted")
	}
	if w.count("PutBucketPolicy") != 0 {
		t.Errorf("the policy was written: %v", w.calls)
	}
	m := regexp.MustCompile(`bucket acme-dst: the bucket policy would be (\d+) bytes, over S3's limit of 20480 bytes: this project's 2 statements take (\d+) bytes, the bucket's 1 other statements and the policy's envelope (\d+) bytes`).FindStringSubmatch(err.Error())
	if m == nil {
		t.Fatalf("error = %v", err)
	}
	total, oursBytes, others := atoi(m[1]), atoi(m[2]), atoi(m[3])
	if total != MaxBucketPolicyBytes+1 || oursBytes+others != total || oursBytes < 2*len(stmt("OursA", "s3:ListBucket")) {
		t.Errorf("sizes %d = %d + %d do not add up", total, oursBytes, others)
	}
	for _, way := range []string{"fewer transfers into this bucket", "whole bucket", "several destination buckets", "trimming the bucket's other statements"} {
		if !strings.Contains(err.Error(), way) {
			t.Errorf("error lacks the way out %q", way)
		}
	}
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// sleepsOf returns the waits of at least min recorded by the world's backoff.
func sleepsOf(w *world, min time.Duration) []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []time.Duration
	for _, d := range w.sleeps {
		if d >= min {
			out = append(out, d)
		}
	}
	return out
}

func TestPolicyReadBackWaitsWhileS3ShowsTheOldPolicy(t *testing.T) {
	for _, request := range []cfn.RequestType{cfn.RequestCreate, cfn.RequestDelete} {
		t.Run(string(request), func(t *testing.T) {
			w := newWorld()
			w.policies["acme-dst"] = foreignPolicy
			h := w.handler()
			p := statementsProps("OursA")
			id := ""
			if request == cfn.RequestDelete {
				id = mustHandle(t, h, event(cfn.RequestCreate, resource.TypeBucketPolicyStatements, "", p, nil)).PhysicalID
			}
			w.mu.Lock()
			w.staleReads, w.calls, w.sleeps = 3, nil, nil // the next three reads after a write show the policy from before it
			w.mu.Unlock()

			mustHandle(t, h, event(request, resource.TypeBucketPolicyStatements, id, p, nil))
			got := policyStatements(t, w.policies["acme-dst"])
			if (got["OursA"] != nil) != (request == cfn.RequestCreate) || got["AnalyticsRead"] == nil {
				t.Errorf("policy after %s:\n%s", request, w.policies["acme-dst"])
			}
			// One write, read back four times: three stale reads, paced 1 s, 2 s, 4 s, then ours.
			if n := w.count("PutBucketPolicy"); n != 1 {
				t.Errorf("%d writes: a stale read was taken for a conflict; calls %v", n, w.calls)
			}
			if n := w.count("GetBucketPolicy"); n != 1+4 {
				t.Errorf("%d reads, want 1 before the write and 4 after; calls %v", n, w.calls)
			}
			if got := sleepsOf(w, time.Second); !slices.Equal(got, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}) {
				t.Errorf("poll waits %v", got)
			}
		})
	}
}

func TestPolicyReadBackIsBounded(t *testing.T) {
	w := newWorld()
	w.policies["acme-dst"] = foreignPolicy
	w.staleReads = 1000 // S3 never shows the write
	_, err := w.handler().Handle(context.Background(), event(cfn.RequestCreate, resource.TypeBucketPolicyStatements, "", statementsProps("OursA"), nil))
	if err == nil || !strings.Contains(err.Error(), "S3 still showed the bucket policy from before the write") ||
		!strings.Contains(err.Error(), "our statement OursA is missing") {
		t.Fatalf("want a failure saying the write never showed, got %v", err)
	}
	var waited time.Duration
	for _, d := range sleepsOf(w, time.Second) {
		waited += d
	}
	if budget := maxPolicyWrites * DefaultPolicyReadBack.Budget; waited > budget || waited < budget/2 {
		t.Errorf("waited %s in all, want at most %s and most of it", waited, budget)
	}
	if n := w.count("PutBucketPolicy"); n != maxPolicyWrites {
		t.Errorf("%d writes, want %d", n, maxPolicyWrites)
	}
}

func TestPolicyReadBackStopsPollingAtAForeignChange(t *testing.T) {
	w := newWorld()
	w.policies["acme-dst"] = foreignPolicy
	w.onPutPolicy = func(bucket string) {
		w.onPutPolicy = nil
		// Another writer that read the policy before our write puts its own edit back.
		w.policies[bucket] = strings.Replace(foreignPolicy, `"Action": "s3:GetObject"`, `"Action": "s3:GetObjectVersion"`, 1)
	}
	mustHandle(t, w.handler(), event(cfn.RequestCreate, resource.TypeBucketPolicyStatements, "", statementsProps("OursA"), nil))
	if got := sleepsOf(w, time.Second); len(got) != 0 {
		t.Errorf("polled (%v) on a read that showed another writer's change", got)
	}
	got := policyStatements(t, w.policies["acme-dst"])
	if got["OursA"] == nil || got["AnalyticsRead"]["Action"] != "s3:GetObjectVersion" || w.count("PutBucketPolicy") != 2 {
		t.Errorf("calls %v, policy\n%s", w.calls, w.policies["acme-dst"])
	}
}
