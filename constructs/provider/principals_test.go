package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"log"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3transfer/cdk-datasync/constructs/provider/resource"
)

// Principals of other teams in the destination bucket's policy, and the unique IDs S3
// shows for them once they are deleted.
const (
	analystRole   = "arn:aws:iam::333333333333:role/analyst"
	analystRoleID = "AROAQWERTYUIOPASDFGH1"
	auditUser     = "arn:aws:iam::444444444444:user/audit"
	auditUserID   = "AIDAZXCVBNMLKJHGFDSA2"
	loaderRole    = "arn:aws:iam::555555555555:role/loader"
	loaderRoleID  = "AROAPOIUYTREWQLKJHGF3"
)

// teamPolicy has, besides the TLS deny, a statement naming a role and an account, one
// naming only a user (no Sid), one naming a role and a service, and one that excepts
// a role from a deny (NotPrincipal).
const teamPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "AnalyticsRead", "Effect": "Allow", "Principal": {"AWS": ["` + analystRole + `", "arn:aws:iam::666666666666:root"]}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::acme-dst/*"},
    {"Effect": "Allow", "Principal": {"AWS": "` + auditUser + `"}, "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::acme-dst"},
    {"Sid": "Loader", "Effect": "Allow", "Principal": {"AWS": "` + loaderRole + `", "Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::acme-dst/logs/*"},
    {"Sid": "DenyInsecure", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::acme-dst", "arn:aws:s3:::acme-dst/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
  ]
}`

// teamWorld is a world whose bucket acme-dst has teamPolicy, after the principals
// given as ARN, unique ID pairs were deleted.
func teamWorld(deleted ...string) *world {
	w := newWorld()
	w.policies["acme-dst"] = teamPolicy
	for i := 0; i+1 < len(deleted); i += 2 {
		w.deletePrincipal(deleted[i], deleted[i+1])
	}
	return w
}

func TestFakeS3RefusesUniqueIDPrincipalsAsS3Does(t *testing.T) {
	w := teamWorld(analystRole, analystRoleID)
	_, err := (&fakeS3{w}).PutBucketPolicy(context.Background(), &s3.PutBucketPolicyInput{Bucket: aws.String("acme-dst"), Policy: aws.String(w.policies["acme-dst"])})
	if code, msg := awsErrorOf(err); code != "MalformedPolicy" || msg != "invalid principal in policy" {
		t.Fatalf("the fake accepted a deleted principal's unique ID: %v", err)
	}
	if _, err := (&fakeS3{w}).PutBucketPolicy(context.Background(), &s3.PutBucketPolicyInput{Bucket: aws.String("acme-dst"), Policy: aws.String(teamPolicy)}); err != nil {
		t.Fatalf("the fake refused ARNs, account IDs and *: %v", err)
	}
}

func TestUniqueIDPattern(t *testing.T) {
	for _, id := range []string{analystRoleID, auditUserID, "AGPAABCDEFGHIJKLMNOPQ", "AIPA0123456789ABCDEFG", "AKIAIOSFODNN7EXAMPLE", "ASIAXXXXXXXXXXXXXXXX"} {
		if !uniqueID.MatchString(id) {
			t.Errorf("%s is not taken for a unique ID", id)
		}
	}
	for _, p := range []string{"*", "111111111111", analystRole, "arn:aws:iam::111111111111:root", "AROA", "AROA123", "aroaqwertyuiopasdfgh1", "XROAQWERTYUIOPASDFGH1", "AROAQWERTYUIOP-SDFGH1"} {
		if uniqueID.MatchString(p) {
			t.Errorf("%s is taken for a unique ID", p)
		}
	}
}

func TestDeadPrincipalsFailAtOnceNamingEachStatementAndID(t *testing.T) {
	w := teamWorld(analystRole, analystRoleID, auditUser, auditUserID)

	_, err := w.handler().Handle(context.Background(), event(cfn.RequestCreate, resource.TypeBucketPolicyStatements, "", statementsProps("OursA"), nil))
	if err == nil {
		t.Fatal("a policy with deleted principals was accepted")
	}
	for _, want := range []string{
		"bucket acme-dst", `statement "AnalyticsRead" (Statement[0]): Principal ` + analystRoleID, "Statement[1] (no Sid): Principal " + auditUserID,
		"Invalid principal in policy", "write this project's statements", "edit those statements yourself", "set destination.removeDeletedPrincipals: true and deploy again",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "Loader") {
		t.Errorf("a statement whose principals exist is named: %v", err)
	}
	// At once: one read, no write, no retry.
	if w.count("PutBucketPolicy") != 0 || w.count("GetBucketPolicy") != 1 || len(w.sleeps) != 0 {
		t.Errorf("calls %v, sleeps %v", w.calls, w.sleeps)
	}
}

func TestDeadPrincipalsRemovedWhenOptedIn(t *testing.T) {
	w := teamWorld(analystRole, analystRoleID, auditUser, auditUserID, loaderRole, loaderRoleID)
	p := statementsProps("OursA")
	p.RemoveDeletedPrincipals = "true"

	res := mustHandle(t, w.handler(), event(cfn.RequestCreate, resource.TypeBucketPolicyStatements, "", p, nil))
	got := policyStatements(t, w.policies["acme-dst"])
	if len(got) != 4 || got["OursA"] == nil || got["DenyInsecure"] == nil {
		t.Fatalf("want AnalyticsRead, Loader, DenyInsecure and ours, got\n%s", w.policies["acme-dst"])
	}
	if aws := got["AnalyticsRead"]["Principal"].(map[string]any)["AWS"]; aws != "arn:aws:iam::666666666666:root" {
		t.Errorf("AnalyticsRead's principals = %v, want only the account that exists", aws)
	}
	if pr := got["Loader"]["Principal"].(map[string]any); pr["AWS"] != nil || pr["Service"] != "logging.s3.amazonaws.com" {
		t.Errorf("Loader's principal = %v, want only its service", pr)
	}
	if strings.Contains(w.policies["acme-dst"], "AROA") || strings.Contains(w.policies["acme-dst"], "AIDA") {
		t.Errorf("unique IDs left:\n%s", w.policies["acme-dst"])
	}
	for _, want := range []string{
		"bucket acme-dst: removed 3 unique ID(s) of deleted IAM principals", `statement "AnalyticsRead" (Statement[0]): Principal ` + analystRoleID,
		"Statement[1] (no Sid): Principal " + auditUserID, `statement "Loader" (Statement[2]): Principal ` + loaderRoleID,
		"1 statement(s) left without any principal: Statement[1] (no Sid)",
	} {
		if !strings.Contains(res.Message, want) {
			t.Errorf("report lacks %q: %s", want, res.Message)
		}
	}
	if res.Data["RemovedDeletedPrincipals"] != "3" || res.Data["RemovedStatements"] != "1" {
		t.Errorf("data = %v", res.Data)
	}

	// Nothing left to remove: the same request again writes nothing and reports nothing.
	again := mustHandle(t, w.handler(), event(cfn.RequestUpdate, resource.TypeBucketPolicyStatements, res.PhysicalID, p, p))
	if again.Message != "" || w.count("PutBucketPolicy") != 1 {
		t.Errorf("second request: message %q, calls %v", again.Message, w.calls)
	}
}

func TestDeadPrincipalsKeptInANotPrincipalTheyWouldEmpty(t *testing.T) {
	const policy = `{"Version":"2012-10-17","Statement":[
	  {"Sid":"OnlyLoader","Effect":"Deny","NotPrincipal":{"AWS":"` + loaderRole + `"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::acme-dst/in/*"},
	  {"Sid":"OnlyAnalysts","Effect":"Deny","NotPrincipal":{"AWS":["` + analystRole + `","arn:aws:iam::666666666666:root"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-dst/out/*"}]}`
	p := statementsProps("OursA")
	p.RemoveDeletedPrincipals = "true"

	// A NotPrincipal keeps a live principal: the deleted one is removed.
	w := newWorld()
	w.policies["acme-dst"] = policy
	w.deletePrincipal(analystRole, analystRoleID)
	mustHandle(t, w.handler(), event(cfn.RequestCreate, resource.TypeBucketPolicyStatements, "", p, nil))
	got := policyStatements(t, w.policies["acme-dst"])
	if got["OnlyAnalysts"]["NotPrincipal"].(map[string]any)["AWS"] != "arn:aws:iam::666666666666:root" || got["OnlyLoader"] == nil {
		t.Errorf("after removal:\n%s", w.policies["acme-dst"])
	}

	// The last principal of a NotPrincipal: removing it would lift the deny.
	w = newWorld()
	w.policies["acme-dst"] = policy
	w.deletePrincipal(loaderRole, loaderRoleID)
	_, err := w.handler().Handle(context.Background(), event(cfn.RequestCreate, resource.TypeBucketPolicyStatements, "", p, nil))
	if err == nil || !strings.Contains(err.Error(), `statement "OnlyLoader" (Statement[0]): NotPrincipal `+loaderRoleID) ||
		!strings.Contains(err.Error(), "does not touch it") {
		t.Fatalf("want a failure naming the NotPrincipal, got %v", err)
	}
	if w.count("PutBucketPolicy") != 0 {
		t.Errorf("calls %v", w.calls)
	}
}

func TestDeadPrincipalsDeleteFollowsTheSameRule(t *testing.T) {
	w := teamWorld()
	h := w.handler()
	p := statementsProps("OursA", "OursB")
	id := mustHandle(t, h, event(cfn.RequestCreate, resource.TypeBucketPolicyStatements, "", p, nil)).PhysicalID
	w.deletePrincipal(auditUser, auditUserID) // later, someone deletes the user

	_, err := h.Handle(context.Background(), event(cfn.RequestDelete, resource.TypeBucketPolicyStatements, id, p, nil))
	if err == nil {
		t.Fatal("the delete succeeded")
	}
	// A stack whose delete failed (DELETE_FAILED) cannot be updated: the reason must
	// not send the user to deploy with the key, and must warn against retaining the
	// resource, which leaves our statements (a live grant) in the policy.
	for _, want := range []string{
		"take this project's statements out", "Statement[1] (no Sid): Principal " + auditUserID,
		"edit those statements yourself", "then delete the stack again", "A stack whose delete failed cannot be updated",
		"Sid OursA, OursB", "--retain-resources", "FORCE_DELETE_STACK", "a live grant to the source account",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("reason lacks %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "removeDeletedPrincipals: true and deploy again") {
		t.Errorf("a failed delete's reason advises a deploy:\n%v", err)
	}
	if got := policyStatements(t, w.policies["acme-dst"]); got["OursA"] == nil {
		t.Errorf("ours changed by a failed delete:\n%s", w.policies["acme-dst"])
	}

	// The way out after a failed delete: the statement fixed by hand (here the
	// deleted user's statement removed), then the delete again.
	w.policies["acme-dst"] = strings.Replace(w.policies["acme-dst"], `"`+auditUserID+`"`, `"arn:aws:iam::111111111111:root"`, 1)
	mustHandle(t, h, event(cfn.RequestDelete, resource.TypeBucketPolicyStatements, id, p, nil))
	if got := policyStatements(t, w.policies["acme-dst"]); got["OursA"] != nil || got["OursB"] != nil || got["AnalyticsRead"] == nil {
		t.Errorf("after the delete:\n%s", w.policies["acme-dst"])
	}

	// Before a delete is tried, deploying with the key set and then deleting works:
	// the update changes nothing of ours (no write), the delete removes ours and the
	// deleted user's statement.
	w = teamWorld()
	h = w.handler()
	id = mustHandle(t, h, event(cfn.RequestCreate, resource.TypeBucketPolicyStatements, "", p, nil)).PhysicalID
	w.deletePrincipal(auditUser, auditUserID)
	opted := p
	opted.RemoveDeletedPrincipals = "true"
	mustHandle(t, h, event(cfn.RequestUpdate, resource.TypeBucketPolicyStatements, id, opted, p))
	res := mustHandle(t, h, event(cfn.RequestDelete, resource.TypeBucketPolicyStatements, id, opted, nil))
	got := policyStatements(t, w.policies["acme-dst"])
	if len(got) != 3 || got["OursA"] != nil || got["AnalyticsRead"] == nil || got["Loader"] == nil || strings.Contains(w.policies["acme-dst"], auditUserID) {
		t.Errorf("after the delete:\n%s", w.policies["acme-dst"])
	}
	if !strings.Contains(res.Message, auditUserID) {
		t.Errorf("report = %q", res.Message)
	}
}

func TestDeadPrincipalsFailedCreateRollsBackCleanly(t *testing.T) {
	cf := newCloudFormation(t)
	w := teamWorld(analystRole, analystRoleID)
	f := &Function{Handler: w.handler(), Margin: 0}
	p := statementsProps("OursA")
	create := event(cfn.RequestCreate, resource.TypeBucketPolicyStatements, "", p, nil)
	create.ResponseURL = cf.URL
	_ = f.Invoke(context.Background(), create)
	failed := cf.answer(t)
	if failed.Status != cfn.StatusFailed || !strings.Contains(failed.Reason, analystRoleID) {
		t.Fatalf("create answered %+v", failed)
	}
	// CloudFormation rolls back with a delete of the physical ID the create answered:
	// nothing of ours was written, so it writes nothing and succeeds (no ROLLBACK_FAILED).
	rollback := event(cfn.RequestDelete, resource.TypeBucketPolicyStatements, failed.PhysicalResourceID, p, nil)
	rollback.ResponseURL = cf.URL
	_ = f.Invoke(context.Background(), rollback)
	if r := cf.answer(t); r.Status != cfn.StatusSuccess {
		t.Errorf("rollback answered %+v", r)
	}
	if w.count("PutBucketPolicy")+w.count("DeleteBucketPolicy") != 0 {
		t.Errorf("calls %v", w.calls)
	}
}

func TestDeadPrincipalsIgnoredWhenNothingIsWritten(t *testing.T) {
	w := teamWorld()
	h := w.handler()
	p := statementsProps("OursA")
	id := mustHandle(t, h, event(cfn.RequestCreate, resource.TypeBucketPolicyStatements, "", p, nil)).PhysicalID
	w.deletePrincipal(analystRole, analystRoleID)
	before := w.policies["acme-dst"]

	// An update that leaves ours as they are reads the policy and changes nothing.
	mustHandle(t, h, event(cfn.RequestUpdate, resource.TypeBucketPolicyStatements, id, p, p))
	if w.count("PutBucketPolicy") != 1 || w.policies["acme-dst"] != before {
		t.Errorf("calls %v", w.calls)
	}
}

func TestDeadPrincipalsReportedInTheStackEvent(t *testing.T) {
	cf := newCloudFormation(t)
	w := teamWorld(auditUser, auditUserID)
	p := statementsProps("OursA")
	p.RemoveDeletedPrincipals = "true"
	e := event(cfn.RequestCreate, resource.TypeBucketPolicyStatements, "", p, nil)
	e.ResponseURL = cf.URL
	f := &Function{Handler: w.handler(), Margin: 0}
	var logged bytes.Buffer
	log.SetOutput(&logged)
	_ = f.Invoke(context.Background(), e)
	log.SetOutput(os.Stderr)
	if !strings.Contains(logged.String(), "removed 1 unique ID(s) of deleted IAM principals") || !strings.Contains(logged.String(), auditUserID) {
		t.Errorf("the function's log lacks the report:\n%s", logged.String())
	}
	r := cf.answer(t)
	if r.Status != cfn.StatusSuccess || !strings.Contains(r.Reason, "removed 1 unique ID(s)") || !strings.Contains(r.Reason, auditUserID) ||
		r.Data["RemovedDeletedPrincipals"] != "1" {
		t.Errorf("answer = %+v", r)
	}
}

func TestPruneDeadPrincipalsKeepsOtherStatementsByteForByte(t *testing.T) {
	policy := []byte(`{"Version":"2012-10-17","Statement":[{"Sid":"Keep","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::666666666666:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/<a&b>/*"},` +
		`{"Sid":"Dead","Effect":"Allow","Principal":{"AWS":["` + analystRoleID + `"]},"Action":"s3:GetObject","Resource":"*"}]}`)
	p, err := pruneDeadPrincipals(policy, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Statement []json.RawMessage }
	if err := json.Unmarshal(p.Policy, &doc); err != nil || len(doc.Statement) != 1 {
		t.Fatalf("pruned = %s (%v)", p.Policy, err)
	}
	if want := `{"Sid":"Keep","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::666666666666:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/<a&b>/*"}`; string(doc.Statement[0]) != want {
		t.Errorf("kept statement rewritten:\n%s\nwant\n%s", doc.Statement[0], want)
	}
	// Our own Sids are skipped: the merge replaces or removes them anyway.
	if p, _ := pruneDeadPrincipals(policy, []string{"Dead"}, true); len(p.Removed) != 0 {
		t.Errorf("removed from a skipped statement: %v", p.Removed)
	}
}

// FuzzPruneDeadPrincipals checks, for any policy, that removal leaves no unique ID
// in a Principal, keeps every statement without one as it was (but for whitespace),
// and that pruning the result again changes nothing.
func FuzzPruneDeadPrincipals(f *testing.F) {
	f.Add(teamPolicy, analystRoleID)
	f.Add(`{"Statement":{"Sid":"x","Principal":{"AWS":"AIDAZXCVBNMLKJHGFDSA2"}}}`, auditUserID)
	f.Add(`{"Statement":[{"NotPrincipal":{"AWS":["AROAQWERTYUIOPASDFGH1","*"]}},{"Principal":"*"}]}`, loaderRoleID)
	f.Add(``, "")
	f.Fuzz(func(t *testing.T, policy, id string) {
		if id != "" {
			policy = strings.ReplaceAll(policy, "arn:aws:iam::333333333333:role/analyst", id)
		}
		_, stmts, err := parsePolicy([]byte(policy))
		if err != nil {
			return // S3 only ever returns valid policies
		}
		p, err := pruneDeadPrincipals([]byte(policy), nil, true)
		if err != nil {
			t.Fatalf("prune failed: %v", err)
		}
		_, out, err := parsePolicy(p.Policy)
		if err != nil {
			t.Fatalf("pruned policy does not parse: %v\n%s", err, p.Policy)
		}
		for _, s := range out {
			var fields map[string]json.RawMessage
			if json.Unmarshal(s, &fields) != nil {
				continue
			}
			if all, rest, ok := principalIDs(fields["Principal"]); ok && len(all) != len(rest) {
				t.Fatalf("a unique ID is left in %s", s)
			}
		}
		untouched := 0
		for _, s := range stmts {
			var fields map[string]json.RawMessage
			if json.Unmarshal(s, &fields) == nil {
				if a, r, ok := principalIDs(fields["Principal"]); ok && len(a) != len(r) {
					continue
				}
				if a, r, ok := principalIDs(fields["NotPrincipal"]); ok && len(a) != len(r) {
					continue
				}
			}
			untouched++
			found := false
			want, _ := compactJSON(s) // the policy is written without insignificant whitespace
			for _, o := range out {
				got, _ := compactJSON(o)
				found = found || string(got) == string(want)
			}
			if !found && len(p.Removed) > 0 {
				t.Fatalf("statement without unique IDs changed or lost: %s\n%s", s, p.Policy)
			}
		}
		if len(out) < untouched {
			t.Fatalf("%d statements out, %d had nothing to remove", len(out), untouched)
		}
		again, err := pruneDeadPrincipals(p.Policy, nil, true)
		if err != nil || len(again.Removed) != 0 || len(again.DroppedStatements) != 0 {
			t.Fatalf("pruning twice removed more: %+v (%v)", again, err)
		}
	})
}
