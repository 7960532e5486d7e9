package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMakeSynthCountsOnlyThisSynthsStacks runs `make synth` as a user does, into an
// output directory holding templates of an earlier synth of another config: the
// stacks reported are this config's, and the CLI's "Supply a stack id" line (printed
// despite --quiet) is not shown.
func TestMakeSynthCountsOnlyThisSynthsStacks(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	out := t.TempDir()
	for _, stale := range []string{"old-a-source", "old-b-source", "old-c-destination", "old-d-destination"} {
		os.WriteFile(filepath.Join(out, stale+".template.json"), []byte(`{"Resources":{}}`), 0o644)
	}
	// -o node_modules/.installed: never run npm ci from a test (the CLI is installed;
	// `make test` installed it).
	cmd := exec.Command("make", "--no-print-directory", "-o", "node_modules/.installed", "synth", "CONFIG=test/testdata/shared-buckets.yaml", "OUT="+out)
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "CDK_VALIDATION=false")
	raw, err := cmd.CombinedOutput()
	text := string(raw)
	if err != nil {
		t.Fatalf("make synth: %v\n%s", err, text)
	}
	// shared-buckets.yaml: 2 destination buckets, 4 transfers from 3 source accounts (a
	// monitoring stack each).
	want := "Synthesized 9 stack(s) into " + out + ": acme-archive-eu-destination, acme-lake-destination, datasync-monitoring-111111111111-eu-west-1, " +
		"datasync-monitoring-444444444444-eu-west-1, datasync-monitoring-555555555555-eu-west-1, legacy-archive-source, sales-eu-source, sales-us-source, tickets-archive-source"
	if !strings.Contains(text, want) {
		t.Errorf("output lacks\n%s\n%s", want, text)
	}
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "Supply a stack id") {
			t.Errorf("the CLI's 'Supply a stack id' line is shown:\n%s", text)
		}
	}
}

// TestMakeSaysWhenTheFirstBuildCompilesTheBindings: with an empty Go build cache (a
// first run), make says why the next minutes pass without output; with the warm
// cache of this test run, it says nothing.
func TestMakeSaysWhenTheFirstBuildCompilesTheBindings(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	note := "Compiling the app and the AWS CDK's Go bindings: the first build takes minutes (later builds come from Go's cache and take seconds) ..."
	for _, c := range []struct {
		cache string
		want  bool
	}{{t.TempDir(), true}, {"", false}} {
		cmd := exec.Command("make", "--no-print-directory", "-s", "build-note")
		cmd.Dir = ".."
		cmd.Env = os.Environ()
		if c.cache != "" {
			cmd.Env = append(cmd.Env, "GOCACHE="+c.cache)
		}
		raw, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("make build-note: %v\n%s", err, raw)
		}
		if got := strings.Contains(string(raw), note); got != c.want {
			t.Errorf("GOCACHE=%q: note shown %t, want %t:\n%s", c.cache, got, c.want, raw)
		}
	}
}
