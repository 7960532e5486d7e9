package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadConfigWithoutAFileSaysItUsesTheExample(t *testing.T) {
	path, cfg, note, err := loadConfig("")
	if err != nil || path != "" || len(cfg.Transfers) == 0 {
		t.Fatalf("loadConfig(\"\") = %q, %v, %v", path, cfg, err)
	}
	want := "note: no -c config=FILE given: synthesizing the embedded example config (app/example/example.yaml), whose accounts are placeholders. " +
		"For your transfers: npx cdk synth -c config=transfers.yaml (or make synth CONFIG=transfers.yaml); `cdk deploy` needs the same -c config=FILE."
	if note != want {
		t.Errorf("note:\n%s\nwant:\n%s", note, want)
	}
	if _, _, note, err := loadConfig("../test/testdata/shared-buckets.yaml"); err != nil || note != "" {
		t.Errorf("with a file: note %q, err %v", note, err)
	}
}

func TestSynthSummaryNamesTheStacksOfThisSynth(t *testing.T) {
	wd, _ := os.Getwd()
	got := synthSummary(filepath.Join(wd, "cdk.out"), []string{"a-destination", "b-source"})
	if want := "Synthesized 2 stack(s) into cdk.out: a-destination, b-source"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}

// writeNagReport writes a cdk-nag report (its header and rows) modified at mtime.
func writeNagReport(t *testing.T, dir, stack string, mtime time.Time, rows ...string) {
	t.Helper()
	path := filepath.Join(dir, "AwsSolutions--"+stack+"-NagReport.csv")
	text := "Rule ID,Resource ID,Compliance,Exception Reason,Rule Level,Rule Info\n" + strings.Join(rows, "\n") + "\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(path, mtime, mtime)
}

// TestNagSummaryCountsThisSynthsFindings: the result line counts the rows of the
// reports written by this synth (not an older report left in the directory) and
// names every finding that is neither compliant nor suppressed.
func TestNagSummaryCountsThisSynthsFindings(t *testing.T) {
	dir := t.TempDir()
	started := time.Now()
	writeNagReport(t, dir, "old-source", started.Add(-time.Hour), `"AwsSolutions-S1","old-source/Bucket","Non-Compliant","N/A","Error","x"`)
	writeNagReport(t, dir, "a-source", started.Add(time.Second),
		`"AwsSolutions-IAM4","a-source/Role/Resource","Compliant","N/A","Error","x"`,
		`"AwsSolutions-IAM5","a-source/Role/Resource","Suppressed","a reason, with a comma","Error","x"`,
		`"AwsSolutions-SNS3","a-source/Topic/Resource","Non-Compliant","N/A","Error","x"`)
	writeNagReport(t, dir, "b-destination", started.Add(time.Second),
		`"AwsSolutions-S10","b-destination/Bucket/Resource","Non-Compliant","N/A","Warning","x"`)
	got, err := nagSummary(dir, started)
	if err != nil {
		t.Fatal(err)
	}
	want := "cdk-nag AwsSolutions pack: 2 stack(s) checked, 4 rule result(s): 1 compliant, 1 suppressed (each with its reason), 2 not compliant:\n" +
		"  Error AwsSolutions-SNS3 on a-source/Topic/Resource (Non-Compliant)\n" +
		"  Warning AwsSolutions-S10 on b-destination/Bucket/Resource (Non-Compliant)\n" +
		"Reports: " + filepath.Join(relative(dir), "AwsSolutions-*-NagReport.csv")
	if got != want {
		t.Errorf("summary:\n%s\nwant:\n%s", got, want)
	}
}

func TestNagSummaryWithoutReportsIsAnError(t *testing.T) {
	dir := t.TempDir()
	writeNagReport(t, dir, "old-source", time.Now().Add(-time.Hour))
	_, err := nagSummary(dir, time.Now())
	if err == nil || !strings.Contains(err.Error(), "-c nag=true, but the synth wrote no AwsSolutions-*-NagReport.csv into ") {
		t.Errorf("err = %v", err)
	}
}
