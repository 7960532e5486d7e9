package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/s3transfer/cdk-datasync/app/operate"
	"github.com/s3transfer/cdk-datasync/app/operate/fakedatasync"
	"github.com/s3transfer/cdk-datasync/constructs/provider"
)

const (
	destAccount = "222222222222"
	destKey     = "AKIDDEST222222EXAMPLE"
)

// profiles writes an AWS config file with a profile acct-ACCOUNT for each account
// given (account -> access key), and keeps the environment's own keys, of account
// 999999999999: a call made without the template is signed by them.
func (e *env) profiles(keys map[string]string) {
	e.t.Helper()
	var b strings.Builder
	for account, key := range keys {
		fmt.Fprintf(&b, "[profile acct-%s]\naws_access_key_id = %s\naws_secret_access_key = secret\n\n", account, key)
	}
	path := filepath.Join(e.t.TempDir(), "aws-config")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		e.t.Fatal(err)
	}
	e.set("AWS_CONFIG_FILE", path)
	e.set("AWS_ACCESS_KEY_ID", otherKey)
}

// taggedFor are the tags the provider gives the task of transfer name.
func taggedFor(name, account, region string) map[string]string {
	return map[string]string{
		provider.TagStackID:   fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/%s-source/0c9e5f60-9a4e-11ef-8f2c-0a1b2c3d4e5f", region, account, name),
		provider.TagLogicalID: operate.TaskLogicalID,
		provider.TagRequestID: "9d2e1a4b-0000-4000-8000-000000000001",
		"Name":                name,
	}
}

// twoAccountsConfig has transfers from two source accounts: photos from 111... and
// ledger from 333..., both to 222....
const twoAccountsConfig = `transfers:
  - name: photos
    source: {account: "111111111111", region: us-east-1, bucket: acme-photos-src}
    destination: {account: "222222222222", region: us-west-2, bucket: acme-photos-dst}
  - name: ledger
    source: {account: "333333333333", region: us-east-1, bucket: acme-ledger-src}
    destination: {account: "222222222222", region: us-west-2, bucket: acme-ledger-dst}
`

func (e *env) writeConfig(text string) string {
	e.t.Helper()
	path := filepath.Join(e.t.TempDir(), "transfers.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return path
}

func TestStatusProfileTemplate(t *testing.T) {
	// GIVEN a profile for account 111... but none for 333..., and environment keys of 999...
	e := newEnv(t)
	e.profiles(map[string]string{sourceAccount: sourceKey})
	e.srv.AddTask(&fakedatasync.Task{Account: sourceAccount, Region: "us-west-2", Name: "photos", Mode: "ENHANCED",
		Tags: taggedFor("photos", sourceAccount, "us-west-2")})
	cfg := e.writeConfig(twoAccountsConfig)

	// WHEN
	r := e.run("status", "-c", cfg, "--profile-template", "acct-{account}")

	// THEN photos is read with its account's profile; ledger is unknown, with the reason
	if r.code != 1 {
		t.Errorf("exit %d, want 1: ledger could not be checked", r.code)
	}
	if !strings.Contains(row(t, r.stdout, "photos"), "AVAILABLE") {
		t.Errorf("photos is not read")
	}
	if !strings.Contains(row(t, r.stdout, "ledger"), "unknown") || strings.Contains(r.stdout, "not deployed") {
		t.Errorf("ledger is not unknown")
	}
	if !strings.Contains(r.stdout, `no credentials for account 333333333333: profile "acct-333333333333" is not in`) {
		t.Errorf("the reason does not name the account and the profile")
	}
	for _, c := range e.srv.Calls() {
		if c.Account != sourceAccount {
			t.Errorf("%s signed by account %s, want %s", c.Operation, c.Account, sourceAccount)
		}
	}

	// WHEN only photos is named
	r = e.run("status", "photos", "-c", cfg, "--profile-template", "acct-{account}")

	// THEN it alone is shown, and all is well
	if r.code != 0 || strings.Contains(r.stdout, "ledger") {
		t.Errorf("status photos: exit %d, shows ledger: %v", r.code, strings.Contains(r.stdout, "ledger"))
	}
}

func TestProfileTemplateBadFlags(t *testing.T) {
	e := newEnv(t)
	r := e.run("status", "-c", e.config, "--profile-template", "acct", "--profile", "x")
	if r.code != 2 {
		t.Errorf("exit %d, want 2", r.code)
	}
	for _, want := range []string{`--profile-template "acct" has no {account}`, `--profile "x" and --profile-template "acct" both given`} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
}

func TestTaskFoundByTags(t *testing.T) {
	// GIVEN the provider's task of photos, and a task of the same name made by hand
	// (listed first)
	e := newEnv(t)
	byHand := e.srv.AddTask(&fakedatasync.Task{Account: sourceAccount, Region: "us-west-2", Name: "photos", Mode: "BASIC"})
	mine := e.srv.AddTask(&fakedatasync.Task{Account: sourceAccount, Region: "us-west-2", Name: "photos", Mode: "ENHANCED",
		Tags: taggedFor("photos", sourceAccount, "us-west-2")})
	// a task tagged for another stack of the account is not photos'
	e.srv.AddTask(&fakedatasync.Task{Account: sourceAccount, Region: "us-west-2", Name: "photos", Mode: "BASIC",
		Tags: taggedFor("photos-old", sourceAccount, "us-west-2")})

	// WHEN
	r := e.run("status", "photos", "-c", e.config, "--json")
	s := e.run("start", "photos", "-c", e.config)

	// THEN the tagged task is the one, the others are a warning
	if r.code != 0 || !strings.Contains(r.stdout, `"taskArn": "`+mine.Arn()+`"`) || !strings.Contains(r.stdout, `"foundBy": "tags"`) {
		t.Errorf("status did not pick the tagged task %s", mine.Arn())
	}
	if !strings.Contains(r.stdout, "2 other DataSync task(s) named \\\"photos\\\"") || !strings.Contains(r.stdout, byHand.Arn()) {
		t.Errorf("status does not warn of the other tasks")
	}
	if s.code != 0 || !strings.Contains(s.stdout, "photos: started "+mine.Arn()+"/execution/") {
		t.Errorf("start did not start the tagged task")
	}
	if !strings.Contains(s.stderr, "transfers: warning: photos: 2 other DataSync task(s) named \"photos\"") {
		t.Errorf("start does not warn of the other tasks")
	}
	if len(e.srv.Started(byHand)) != 0 {
		t.Errorf("the task made by hand was started")
	}
}

func TestTaskFoundByNameWithoutTags(t *testing.T) {
	// GIVEN one untagged task of the name (a task made before the provider tagged)
	e := newEnv(t)
	task := e.photos()

	r := e.run("status", "photos", "-c", e.config, "--json")

	// THEN it is the task, found by name
	if r.code != 0 || !strings.Contains(r.stdout, `"taskArn": "`+task.Arn()+`"`) || !strings.Contains(r.stdout, `"foundBy": "name"`) {
		t.Errorf("the one task of the name is not used")
	}
}

func TestTwoUntaggedTasksAreAmbiguous(t *testing.T) {
	// GIVEN two tasks of the name, neither tagged
	e := newEnv(t)
	e.photos()
	e.photos()

	r := e.run("start", "photos", "-c", e.config)

	if r.code != 1 || !strings.Contains(r.stderr, `2 DataSync tasks are named "photos" in us-west-2`) ||
		!strings.Contains(r.stderr, "none carries the tags the provider gives the task it creates") {
		t.Errorf("exit %d; not ambiguous", r.code)
	}
}

func TestTwoTaggedTasksAreAmbiguous(t *testing.T) {
	// GIVEN two tasks tagged for photos' stack (one left from an earlier stack of the name)
	e := newEnv(t)
	for range 2 {
		e.srv.AddTask(&fakedatasync.Task{Account: sourceAccount, Region: "us-west-2", Name: "photos", Mode: "ENHANCED",
			Tags: taggedFor("photos", sourceAccount, "us-west-2")})
	}

	r := e.run("start", "photos", "-c", e.config)

	if r.code != 1 || !strings.Contains(r.stderr, "2 carry the provider's tags of stack photos-source") {
		t.Errorf("exit %d; not ambiguous between the tagged tasks", r.code)
	}
}

func TestWatchByArnUsesTheArnsAccountProfile(t *testing.T) {
	// GIVEN a run of photos' task in account 111..., profiles per account, and
	// environment keys of 999...
	e := newEnv(t)
	e.profiles(map[string]string{sourceAccount: sourceKey})
	task := e.photos()
	steps := enhancedSuccess()
	arn := e.srv.AddExecution(task, time.Now(), steps[len(steps)-1])

	r := e.run("watch", arn, "--profile-template", "acct-{account}", "--plain")

	if r.code != 0 || !strings.Contains(r.stdout, "photos: SUCCESS") {
		t.Errorf("exit %d", r.code)
	}
	for _, c := range e.srv.Calls() {
		if c.Account != sourceAccount {
			t.Errorf("%s signed by account %s", c.Operation, c.Account)
		}
	}
}
