package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3transfer/cdk-datasync/app/operate/fakedatasync"
	"github.com/s3transfer/cdk-datasync/internal/s3fake"
)

// cutoverEnv is newEnv with an S3 whose buckets belong to photos' accounts (source
// 111..., destination 222...) and refuses any other account's key, a profile per
// account (acct-ACCOUNT), STS answered by the DataSync stand-in, and photos' task.
type cutoverEnv struct {
	*env
	s3   *s3fake.Server
	task *fakedatasync.Task
	keys map[string]string // bucket -> the owner's access key
}

func newCutoverEnv(t *testing.T) *cutoverEnv {
	t.Helper()
	e := newEnv(t)
	e.srv.AddKey(destKey, destAccount)
	e.profiles(map[string]string{sourceAccount: sourceKey, destAccount: destKey})
	e.set("AWS_ENDPOINT_URL_STS", e.srv.URL)
	srv := s3fake.New(t)
	srv.Key(sourceKey, sourceAccount)
	srv.Key(destKey, destAccount)
	e.set("AWS_ENDPOINT_URL_S3", srv.URL)
	keys := map[string]string{"acme-photos-src": sourceKey, "acme-photos-dst": destKey}
	owners := map[string]string{"acme-photos-src": sourceAccount, "acme-photos-dst": destAccount}
	for bucket, key := range keys {
		if err := srv.Bucket(context.Background(), srv.Client(key), bucket, false); err != nil {
			t.Fatal(err)
		}
		srv.Own(bucket, owners[bucket])
	}
	task := e.srv.AddTask(&fakedatasync.Task{Account: sourceAccount, Region: "us-west-2", Name: "photos", Mode: "ENHANCED",
		Schedule: "rate(1 day)", Tags: taggedFor("photos", sourceAccount, "us-west-2")})
	return &cutoverEnv{env: e, s3: srv, task: task, keys: keys}
}

func (c *cutoverEnv) put(bucket, key, body string) {
	c.t.Helper()
	_, err := c.s3.Client(c.keys[bucket]).PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
		Body: bytes.NewReader([]byte(body))})
	if err != nil {
		c.t.Fatal(err)
	}
}

// copyIncluded does what DataSync does for an execution limited by an Includes
// filter of exact paths: copies those objects from the source to the destination.
func (c *cutoverEnv) copyIncluded(_ *fakedatasync.Task, o fakedatasync.Overrides) {
	if o.Includes == "" {
		return
	}
	for _, p := range strings.Split(o.Includes, "|") {
		key := strings.TrimPrefix(p, "/")
		obj, err := c.s3.Backend.GetObject("acme-photos-src", key, nil)
		if err != nil {
			c.t.Errorf("the re-run names %q, which the source lacks: %v", key, err)
			continue
		}
		body, _ := io.ReadAll(obj.Contents)
		obj.Contents.Close()
		c.put("acme-photos-dst", key, string(body))
	}
}

// record reads the one sign-off record in dir.
func record(t *testing.T, dir string) (map[string]any, string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "cutover-photos-*.json"))
	if len(files) != 1 {
		t.Fatalf("%d sign-off records in %s, want 1", len(files), dir)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	var r map[string]any
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("the record is not JSON: %v", err)
	}
	return r, files[0]
}

func TestCutoverRerunsTheGapsAndSignsOff(t *testing.T) {
	// GIVEN photos' destination lacks one object, whose key has a space, unicode and +;
	// the final run copies nothing more (writes have stopped), the re-run copies it
	c := newCutoverEnv(t)
	for _, k := range []string{"2024/a.jpg", "2024/b c+ü.jpg"} {
		c.put("acme-photos-src", k, "data of "+k)
	}
	c.put("acme-photos-dst", "2024/a.jpg", "data of 2024/a.jpg")
	c.srv.SetRun(c.task, []fakedatasync.Step{{Status: "LAUNCHING"}, {Status: "SUCCESS", Elapsed: time.Minute, FilesTransferred: 0}})
	c.srv.OnStart = c.copyIncluded
	out := t.TempDir()

	// WHEN
	r := c.run("cutover", "photos", "-c", c.config, "--profile-template", "acct-{account}", "--rerun-gaps", "--out", out, "--interval", "10ms")

	// THEN verified clean after one re-run of exactly the missing key
	if r.code != 0 {
		t.Fatalf("exit %d, want 0", r.code)
	}
	if _, st := c.srv.Schedule(c.task); st != "DISABLED" {
		t.Errorf("schedule %s, want DISABLED (paused)", st)
	}
	started := c.srv.Started(c.task)
	if len(started) != 2 || started[0].Includes != "" || started[1].Includes != "/2024/b c+ü.jpg" {
		t.Fatalf("executions %+v, want the final run, then a re-run of /2024/b c+ü.jpg", started)
	}
	// the schedule was paused before the final run started
	var order []string
	for _, call := range c.srv.Calls() {
		if call.Operation == "UpdateTask" || call.Operation == "StartTaskExecution" {
			order = append(order, call.Operation)
		}
		if call.Account != sourceAccount && call.Operation != "sts:GetCallerIdentity" {
			t.Errorf("DataSync %s signed by account %s", call.Operation, call.Account)
		}
	}
	if strings.Join(order, ",") != "UpdateTask,StartTaskExecution,StartTaskExecution" {
		t.Errorf("calls %v, want the pause first", order)
	}
	if d := c.s3.Denied(); len(d) != 0 {
		t.Errorf("S3 refused requests signed by the wrong account: %v", d)
	}
	for _, want := range []string{
		"photos: schedule rate(1 day) paused",
		"photos: final run started: " + started[0].Arn,
		"photos: re-run of 1 objects (23 B) started by an Includes filter of their exact paths",
		"Cutover sign-off: photos: VERIFIED CLEAN",
		"rate(1 day) stays paused: no scheduled run starts; resume it with `transfers resume photos`",
		"by           arn:aws:sts::111111111111:assumed-role/operator/session (for account 111111111111, profile \"acct-111111111111\")",
		"by           arn:aws:sts::222222222222:assumed-role/operator/session (for account 222222222222, profile \"acct-222222222222\")",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q", want)
		}
	}

	// and the record holds the whole story
	rec, _ := record(t, out)
	if rec["result"] != "VERIFIED_CLEAN" || rec["clean"] != true || rec["transfer"] != "photos" || rec["taskArn"] != c.task.Arn() {
		t.Errorf("record head: %v %v %v", rec["result"], rec["transfer"], rec["taskArn"])
	}
	execs, _ := rec["executions"].([]any)
	verifs, _ := rec["verifications"].([]any)
	if len(execs) != 2 || len(verifs) != 2 {
		t.Fatalf("%d executions, %d verifications, want 2 and 2", len(execs), len(verifs))
	}
	for i, purpose := range []string{"final", "rerun"} {
		e := execs[i].(map[string]any)
		if e["purpose"] != purpose || e["status"] != "SUCCESS" || e["arn"] != started[i].Arn {
			t.Errorf("execution %d: %v", i, e)
		}
	}
	missing := func(v any) float64 {
		return v.(map[string]any)["classes"].(map[string]any)["missing"].(map[string]any)["objects"].(float64)
	}
	identical := verifs[1].(map[string]any)["classes"].(map[string]any)["identical"].(map[string]any)
	if missing(verifs[0]) != 1 || missing(verifs[1]) != 0 || identical["objects"].(float64) != 2 || identical["bytes"].(float64) != 41 {
		t.Errorf("verify counts: first missing %v, then missing %v, identical %v", missing(verifs[0]), missing(verifs[1]), identical)
	}
	sched := rec["schedule"].(map[string]any)
	if sched["expression"] != "rate(1 day)" || sched["before"] != "ENABLED" || sched["after"] != "DISABLED" {
		t.Errorf("schedule: %v", sched)
	}
	if rr := rec["rerun"].(map[string]any); rr["method"] != "includes" || rr["objects"].(float64) != 1 {
		t.Errorf("rerun: %v", rr)
	}
	if ids := rec["identities"].([]any); len(ids) != 2 {
		t.Errorf("identities: %v", ids)
	}
	for _, k := range []string{"started", "ended", "source", "destination"} {
		if rec[k] == nil {
			t.Errorf("the record has no %s", k)
		}
	}
}

func TestCutoverNotCleanWithoutRerun(t *testing.T) {
	// GIVEN a missing object, and no --rerun-gaps
	c := newCutoverEnv(t)
	c.put("acme-photos-src", "x.bin", "xx")
	c.srv.SetRun(c.task, []fakedatasync.Step{{Status: "SUCCESS", Elapsed: time.Minute}})
	out := t.TempDir()

	r := c.run("cutover", "photos", "-c", c.config, "--profile-template", "acct-{account}", "--out", out, "--interval", "10ms")

	// THEN exit 1, a NOT_CLEAN record, one execution only, the schedule paused
	if r.code != 1 {
		t.Errorf("exit %d, want 1", r.code)
	}
	rec, _ := record(t, out)
	if rec["result"] != "NOT_CLEAN" || len(c.srv.Started(c.task)) != 1 {
		t.Errorf("result %v, %d executions", rec["result"], len(c.srv.Started(c.task)))
	}
	if !strings.Contains(r.stdout, "Cutover sign-off: photos: NOT CLEAN") || !strings.Contains(r.stdout, "stays paused") {
		t.Errorf("the summary does not say NOT CLEAN and that the schedule stays paused")
	}
	if _, st := c.srv.Schedule(c.task); st != "DISABLED" {
		t.Errorf("schedule %s", st)
	}
}

func TestCutoverFinalRunFailsIsNotClean(t *testing.T) {
	// GIVEN the final run fails, and the destination lacks an object
	c := newCutoverEnv(t)
	c.put("acme-photos-src", "x.bin", "xx")
	fail := basicError()
	c.srv.SetRun(c.task, fail[len(fail)-1:])
	out := t.TempDir()

	r := c.run("cutover", "photos", "-c", c.config, "--profile-template", "acct-{account}", "--out", out, "--interval", "10ms", "--json")

	if r.code != 1 {
		t.Errorf("exit %d, want 1", r.code)
	}
	// --json: stdout is the records alone
	var doc struct {
		Cutovers []struct{ Transfer, Result string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || len(doc.Cutovers) != 1 || doc.Cutovers[0].Result != "NOT_CLEAN" {
		t.Errorf("stdout is not the records (%v): %+v", err, doc)
	}
	rec, _ := record(t, out)
	e := rec["executions"].([]any)[0].(map[string]any)
	if e["status"] != "ERROR" || e["errorCode"] != "S3AccessDenied" || rec["result"] != "NOT_CLEAN" {
		t.Errorf("record: execution %v, result %v", e, rec["result"])
	}
}

func TestCutoverInTerminalCtrlC(t *testing.T) {
	// GIVEN the final run keeps going
	c := newCutoverEnv(t)
	c.srv.SetRun(c.task, stillGoing())
	out := t.TempDir()

	// WHEN Ctrl-C is typed while it is followed
	term := startTerminal(t, 120, 16, "cutover", "photos", "-c", c.config, "--profile-template", "acct-{account}", "--out", out, "--interval", "100ms")
	term.waitFor(regexp.MustCompile(`\[TRANSFERRING\]`))
	if _, err := term.pty.Write([]byte{3}); err != nil {
		t.Fatal(err)
	}

	// THEN exit 130; the run goes on, the schedule stays paused, and the screen says both
	if code := term.exit(); code != 130 {
		t.Errorf("exit %d, want 130", code)
	}
	screen := strings.ReplaceAll(term.screen(), "\n", "")
	t.Logf("screen:\n%s", term.screen())
	started := c.srv.Started(c.task)
	if len(started) != 1 {
		t.Fatalf("%d executions", len(started))
	}
	for _, want := range []string{"Stopped watching photos: its run exec-", "transfers watch " + started[0].Arn,
		"Cutover of photos interrupted", "rate(1 day) stays paused"} {
		if !strings.Contains(screen, want) {
			t.Errorf("the screen lacks %q", want)
		}
	}
	if _, st := c.srv.Schedule(c.task); st != "DISABLED" {
		t.Errorf("schedule %s, want DISABLED", st)
	}
	for _, call := range c.srv.Calls() {
		if call.Operation == "CancelTaskExecution" {
			t.Errorf("the run was cancelled")
		}
	}
	if files, _ := filepath.Glob(filepath.Join(out, "*.json")); len(files) != 0 {
		t.Errorf("a sign-off record was written: %v", files)
	}
}

// copyManifest does what DataSync does for an execution limited by a manifest: reads
// the CSV from the report bucket and copies those objects.
func (c *cutoverEnv) copyManifest(_ *fakedatasync.Task, o fakedatasync.Overrides) {
	if o.Manifest == nil {
		return
	}
	bucket := strings.TrimPrefix(o.Manifest.BucketArn, "arn:aws:s3:::")
	obj, err := c.s3.Backend.GetObject(bucket, o.Manifest.ObjectPath, nil)
	if err != nil {
		c.t.Errorf("no manifest at s3://%s/%s: %v", bucket, o.Manifest.ObjectPath, err)
		return
	}
	rows, err := csv.NewReader(obj.Contents).ReadAll()
	obj.Contents.Close()
	if err != nil {
		c.t.Errorf("the manifest is not CSV: %v", err)
		return
	}
	for _, row := range rows {
		src, err := c.s3.Backend.GetObject("acme-photos-src", row[0], nil)
		if err != nil {
			c.t.Errorf("the manifest names %q, which the source lacks", row[0])
			continue
		}
		body, _ := io.ReadAll(src.Contents)
		src.Contents.Close()
		c.put("acme-photos-dst", row[0], string(body))
	}
}

func TestCutoverRerunsByManifest(t *testing.T) {
	// GIVEN photos with a task report in the source account, and missing keys a filter
	// cannot name (| and *), one with a comma and a line break
	c := newCutoverEnv(t)
	if err := c.s3.Bucket(context.Background(), c.s3.Client(sourceKey), "acme-reports", false); err != nil {
		t.Fatal(err)
	}
	c.s3.Own("acme-reports", sourceAccount)
	cfg := c.writeConfig(strings.Replace(testConfig, `task: {schedule: "rate(1 day)"}`,
		`task: {schedule: "rate(1 day)", report: {bucket: acme-reports, prefix: datasync}}`, 1))
	for _, k := range []string{"a|b.txt", "c*.txt", "d,e\nf.txt", "ok.txt"} {
		c.put("acme-photos-src", k, "data")
	}
	c.put("acme-photos-dst", "ok.txt", "data")
	c.srv.SetRun(c.task, []fakedatasync.Step{{Status: "SUCCESS", Elapsed: time.Minute}})
	c.srv.OnStart = c.copyManifest
	out := t.TempDir()

	// WHEN
	r := c.run("cutover", "photos", "-c", cfg, "--profile-template", "acct-{account}", "--rerun-gaps", "--out", out, "--interval", "10ms")

	// THEN the gaps were re-run by a manifest the bucket-access role reads, and all is clean
	if r.code != 0 {
		t.Fatalf("exit %d, want 0", r.code)
	}
	started := c.srv.Started(c.task)
	if len(started) != 2 || started[1].Manifest == nil || started[1].Includes != "" ||
		!strings.HasPrefix(started[1].Manifest.ObjectPath, "datasync/manifests/photos-") ||
		started[1].Manifest.BucketAccessRoleArn != "arn:aws:iam::111111111111:role/datasync-photos-bucket-access" {
		t.Fatalf("executions %+v", started)
	}
	rec, _ := record(t, out)
	if rr := rec["rerun"].(map[string]any); rr["method"] != "manifest" || rr["objects"].(float64) != 3 || rec["result"] != "VERIFIED_CLEAN" {
		t.Errorf("record: rerun %v, result %v", rr, rec["result"])
	}
	if d := c.s3.Denied(); len(d) != 0 {
		t.Errorf("S3 refused: %v", d)
	}
}

func TestCutoverCtrlCWhileStarting(t *testing.T) {
	// GIVEN Ctrl-C comes while StartTaskExecution is answered: DataSync has started
	// the run, the command never learns its ARN
	c := newCutoverEnv(t)
	c.srv.SetRun(c.task, stillGoing())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c.srv.OnStart = func(*fakedatasync.Task, fakedatasync.Overrides) {
		cancel()
		time.Sleep(100 * time.Millisecond) // the client gives up before the answer
	}
	out := t.TempDir()

	r := c.runCtx(ctx, "cutover", "photos", "-c", c.config, "--profile-template", "acct-{account}", "--out", out, "--interval", "10ms")

	// THEN exit 130 (not 1), the run goes on, the schedule stays paused, and the
	// output says that a run may have started and that the schedule is paused
	if r.code != 130 {
		t.Errorf("exit %d, want 130", r.code)
	}
	if n := len(c.srv.Started(c.task)); n != 1 {
		t.Errorf("%d executions, want 1", n)
	}
	for _, want := range []string{"photos: Ctrl-C while its final run was being started: it may have started", "Cutover of photos interrupted",
		"rate(1 day) stays paused"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q", want)
		}
	}
	if _, st := c.srv.Schedule(c.task); st != "DISABLED" {
		t.Errorf("schedule %s, want DISABLED", st)
	}
	if files, _ := filepath.Glob(filepath.Join(out, "*.json")); len(files) != 0 {
		t.Errorf("a sign-off record was written: %v", files)
	}
}

func TestCutoverCleanWithKeysDataSyncCannotTransfer(t *testing.T) {
	// GIVEN everything DataSync can transfer arrived, and the source holds a key it cannot
	c := newCutoverEnv(t)
	c.put("acme-photos-src", "keep.txt", "same")
	c.put("acme-photos-dst", "keep.txt", "same")
	c.put("acme-photos-src", "a//b.jpg", "12345")
	c.srv.SetRun(c.task, []fakedatasync.Step{{Status: "SUCCESS", Elapsed: time.Minute}})
	out := t.TempDir()

	r := c.run("cutover", "photos", "-c", c.config, "--profile-template", "acct-{account}", "--out", out, "--interval", "10ms", "--rerun-gaps")

	// THEN exit 0, VERIFIED_CLEAN, the final run only (no re-run of that key), and the summary says what is left to copy
	if r.code != 0 {
		t.Errorf("exit %d, want 0", r.code)
	}
	rec, _ := record(t, out)
	if rec["result"] != "VERIFIED_CLEAN" || len(c.srv.Started(c.task)) != 1 {
		t.Errorf("result %v, %d executions, want VERIFIED_CLEAN and 1", rec["result"], len(c.srv.Started(c.task)))
	}
	if !strings.Contains(r.stdout, "not copied   1 objects (5 B) under keys DataSync cannot transfer") {
		t.Errorf("the summary does not name the objects left to copy:\n%s", r.stdout)
	}
}
