package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/s3transfer/cdk-datasync/app/operate/fakedatasync"
)

func TestVerifyRerunStartsOneExecutionOfTheGaps(t *testing.T) {
	// GIVEN photos ran; the destination lacks one object and holds another with other content
	c := newCutoverEnv(t)
	c.put("acme-photos-src", "keep.txt", "same")
	c.put("acme-photos-dst", "keep.txt", "same")
	c.put("acme-photos-src", "gone.txt", "lost")
	c.put("acme-photos-src", "diff.txt", "new!")
	c.put("acme-photos-dst", "diff.txt", "old!")
	c.put("acme-photos-dst", "extra.txt", "mine")
	c.srv.AddExecution(c.task, time.Now(), fakedatasync.Step{Status: "SUCCESS", Elapsed: time.Minute})

	// WHEN
	r := c.run("verify", "photos", "-c", c.config, "--profile-template", "acct-{account}", "--rerun", "--json")

	// THEN exit 1 (not clean), and one execution limited to exactly the two keys
	if r.code != 1 {
		t.Errorf("exit %d, want 1", r.code)
	}
	started := c.srv.Started(c.task)
	if len(started) != 1 || started[0].Includes != "/diff.txt|/gone.txt" && started[0].Includes != "/gone.txt|/diff.txt" {
		t.Fatalf("started %+v, want one execution of /diff.txt and /gone.txt", started)
	}
	var out struct {
		Reruns []struct{ Transfer, ExecutionArn, Method string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Reruns) != 1 || out.Reruns[0].ExecutionArn != started[0].Arn || out.Reruns[0].Method != "includes" {
		t.Errorf("reruns %+v", out.Reruns)
	}
}

func TestVerifyRerunCleanStartsNothing(t *testing.T) {
	c := newCutoverEnv(t)
	c.put("acme-photos-src", "keep.txt", "same")
	c.put("acme-photos-dst", "keep.txt", "same")

	r := c.run("verify", "photos", "-c", c.config, "--profile-template", "acct-{account}", "--rerun")

	if r.code != 0 || len(c.srv.Started(c.task)) != 0 || !strings.Contains(r.stdout, "photos: nothing to re-run") {
		t.Errorf("exit %d, %d executions", r.code, len(c.srv.Started(c.task)))
	}
}

func TestVerifyUnknownWithoutTheDestinationAccountsProfile(t *testing.T) {
	// GIVEN a profile for the source account only
	c := newCutoverEnv(t)
	c.profiles(map[string]string{sourceAccount: sourceKey})

	r := c.run("verify", "photos", "-c", c.config, "--profile-template", "acct-{account}")

	if r.code != 1 || !strings.Contains(r.stderr, `verify photos: UNKNOWN: it could not be checked`) ||
		!strings.Contains(r.stderr, `no credentials for account 222222222222: profile "acct-222222222222" is not in`) {
		t.Errorf("exit %d; not reported as unknown with the profile", r.code)
	}
}

func TestVerifyDeniedNamesBucketAccountProfileAndPermission(t *testing.T) {
	// GIVEN the destination account's profile holds the source account's key by mistake
	c := newCutoverEnv(t)
	c.profiles(map[string]string{sourceAccount: sourceKey, destAccount: sourceKey})

	r := c.run("verify", "photos", "-c", c.config, "--profile-template", "acct-{account}")

	for _, want := range []string{"UNKNOWN", "bucket acme-photos-dst of account 222222222222", `profile "acct-222222222222"`, "Missing permission: s3:ListBucket"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	if r.code != 1 {
		t.Errorf("exit %d", r.code)
	}
}

func TestVerifyRerunCtrlCWhileStarting(t *testing.T) {
	// GIVEN a gap, and Ctrl-C while StartTaskExecution is answered
	c := newCutoverEnv(t)
	c.put("acme-photos-src", "gone.txt", "lost")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c.srv.OnStart = func(*fakedatasync.Task, fakedatasync.Overrides) {
		cancel()
		time.Sleep(100 * time.Millisecond) // the client gives up before the answer
	}

	r := c.runCtx(ctx, "verify", "photos", "-c", c.config, "--profile-template", "acct-{account}", "--rerun")

	// THEN exit 130, and the re-run is said to have maybe started
	if r.code != 130 {
		t.Errorf("exit %d, want 130", r.code)
	}
	if len(c.srv.Started(c.task)) != 1 || !strings.Contains(r.stderr, "verify photos: stopped by Ctrl-C while the re-run of the gaps was being started: it may have started") {
		t.Errorf("%d executions; stderr does not say that the re-run may have started", len(c.srv.Started(c.task)))
	}
}

func TestVerifyUnsupportedKeysAreNotFailuresNorRerun(t *testing.T) {
	// GIVEN photos ran; the source holds keys DataSync cannot transfer, and one object is missing
	c := newCutoverEnv(t)
	c.put("acme-photos-src", "keep.txt", "same")
	c.put("acme-photos-dst", "keep.txt", "same")
	c.put("acme-photos-src", "/lead.jpg", "12345")
	c.put("acme-photos-src", "a//b.jpg", "12345")
	c.put("acme-photos-src", "a/../c.jpg", "12345")
	c.srv.AddExecution(c.task, time.Now(), fakedatasync.Step{Status: "SUCCESS", Elapsed: time.Minute})
	out := t.TempDir()

	// WHEN verified: exit 0, the class counted, a CSV of its keys, and what to do
	r := c.run("verify", "photos", "-c", c.config, "--profile-template", "acct-{account}", "--out", out)
	if r.code != 0 {
		t.Errorf("exit %d, want 0: keys DataSync cannot transfer are no failure\n%s", r.code, r.stdout)
	}
	for _, want := range []string{"key DataSync cannot transfer (not a failure)", "3 objects (15 B) have keys DataSync cannot transfer",
		"copy them another way", "CLEAN: every object of the source DataSync can transfer is at the destination"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	rows := readCSV(t, filepath.Join(out, "photos.unsupported-by-datasync.csv"))
	var keys []string
	for _, row := range rows[1:] {
		keys = append(keys, row[0])
	}
	sort.Strings(keys)
	if strings.Join(keys, " ") != "/lead.jpg a/../c.jpg a//b.jpg" {
		t.Errorf("unsupported-by-datasync.csv keys %q", keys)
	}

	// WHEN another object goes missing and verify re-runs: exit 1, and the re-run holds that key only
	c.put("acme-photos-src", "gone.txt", "lost")
	r = c.run("verify", "photos", "-c", c.config, "--profile-template", "acct-{account}", "--rerun", "--json")
	if r.code != 1 {
		t.Errorf("exit %d, want 1", r.code)
	}
	started := c.srv.Started(c.task)
	if len(started) != 1 || started[0].Includes != "/gone.txt" {
		t.Fatalf("started %+v, want one execution of /gone.txt only", started)
	}
	if !strings.Contains(r.stderr, "3 objects under keys DataSync cannot transfer are not re-run") {
		t.Errorf("stderr: %q", r.stderr)
	}
	var doc struct {
		Transfers []struct {
			Classes map[string]struct{ Objects, Bytes int64 } `json:"classes"`
		} `json:"transfers"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Transfers) != 1 || doc.Transfers[0].Classes["unsupported-by-datasync"].Objects != 3 || doc.Transfers[0].Classes["unsupported-by-datasync"].Bytes != 15 {
		t.Errorf("JSON classes %+v", doc.Transfers)
	}
}
