package test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

var (
	appBuild    sync.Once
	appBinary   string
	appBuildErr error
	// appRuns keeps successful runs by context, so tests that read the same output
	// share one synth (they only read it).
	appRuns = map[string]string{}
	appDirs []string // every output directory, removed by TestMain
)

// runApp runs the app as the CDK CLI does (context in CDK_CONTEXT_JSON, output
// directory in CDK_OUTDIR) and returns its output directory, stderr and error.
func runApp(t *testing.T, context map[string]any) (outdir, stderr string, err error) {
	t.Helper()
	appBuild.Do(func() {
		dir, _ := os.MkdirTemp("", "datasync-app")
		appBinary = filepath.Join(dir, "app")
		out, err := exec.Command("go", "build", "-o", appBinary, "../app").CombinedOutput()
		if err != nil {
			appBuildErr = &buildError{string(out)}
		}
	})
	if appBuildErr != nil {
		t.Fatal(appBuildErr)
	}
	ctx := cdkContext(t)
	for k, v := range context {
		ctx[k] = v
	}
	if _, set := context["aws:cdk:bundling-stacks"]; !set {
		ctx["aws:cdk:bundling-stacks"] = []string{}
	}
	raw, _ := json.Marshal(ctx)
	if dir, ok := appRuns[string(raw)]; ok {
		return dir, "", nil
	}
	outdir, _ = os.MkdirTemp("", "datasync-app-out")
	appDirs = append(appDirs, outdir)
	cmd := exec.Command(appBinary)
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "CDK_CONTEXT_JSON="+string(raw), "CDK_OUTDIR="+outdir, "CDK_VALIDATION=false")
	var errBuf bytes.Buffer
	cmd.Stderr = &errBuf
	err = cmd.Run()
	if err == nil {
		appRuns[string(raw)] = outdir
	}
	return outdir, errBuf.String(), err
}

type buildError struct{ out string }

func (e *buildError) Error() string { return "building the app: " + e.out }

type manifest struct {
	Artifacts map[string]struct {
		Type         string
		Environment  string
		Dependencies []string
		Properties   struct{ StackName string }
	}
}

func readManifest(t *testing.T, outdir string) manifest {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(outdir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestAppSynthesizesTheEmbeddedExample(t *testing.T) {
	outdir, stderr, err := runApp(t, nil)
	if err != nil {
		t.Fatalf("app failed: %v\n%s", err, stderr)
	}
	m := readManifest(t, outdir)
	want := map[string]string{
		"acme-media-dst-destination":         "aws://222222222222/us-west-2",
		"media-archive-source":               "aws://111111111111/us-west-2",
		"acme-logs-consolidated-destination": "aws://222222222222/eu-west-1",
		"logs-consolidation-source":          "aws://333333333333/eu-west-1",
	}
	for id, env := range want {
		a, ok := m.Artifacts[id]
		if !ok || a.Environment != env || (a.Properties.StackName != "" && a.Properties.StackName != id) {
			t.Errorf("stack %s: %+v, want environment %s", id, a, env)
		}
	}
	// the example's cost traps are warnings of the synth
	if !strings.Contains(stderr, `warning: cost: transfer media-archive: ENHANCED mode with schedule "rate(1 day)": 30 executions a month × $0.55 = $16.50 a month`) {
		t.Errorf("stderr lacks the schedule's cost trap:\n%s", stderr)
	}
	for src, dst := range map[string]string{"media-archive-source": "acme-media-dst-destination", "logs-consolidation-source": "acme-logs-consolidated-destination"} {
		if deps := m.Artifacts[src].Dependencies; !contains(deps, dst) {
			t.Errorf("%s depends on %v, want %s", src, deps, dst)
		}
	}
}

func TestAppReadsTheConfigFileNamedByContext(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "transfers.yaml")
	os.WriteFile(cfg, []byte(`
transfers:
  - name: team-a
    source: {account: "111111111111", region: us-east-1, bucket: team-a-data}
    destination: {account: "999999999999", region: us-east-1, bucket: shared-landing, prefix: team-a}
  - name: team-b
    source: {account: "444444444444", region: eu-west-1, bucket: team-b-data}
    destination: {account: "999999999999", region: us-east-1, bucket: shared-landing, prefix: team-b}
`), 0o644)
	outdir, stderr, err := runApp(t, map[string]any{"config": cfg})
	if err != nil {
		t.Fatalf("app failed: %v\n%s", err, stderr)
	}
	m := readManifest(t, outdir)
	var stacks []string
	for id, a := range m.Artifacts {
		if a.Type == "aws:cloudformation:stack" {
			stacks = append(stacks, id)
		}
	}
	sort.Strings(stacks)
	// One destination stack owns the shared bucket's statements for both transfers.
	// Each source account has its dashboard's monitoring stack.
	if strings.Join(stacks, " ") != "datasync-monitoring-111111111111-us-east-1 datasync-monitoring-444444444444-us-east-1 shared-landing-destination team-a-source team-b-source" ||
		m.Artifacts["team-b-source"].Environment != "aws://444444444444/us-east-1" ||
		!contains(m.Artifacts["team-b-source"].Dependencies, "shared-landing-destination") {
		t.Errorf("stacks = %v, artifacts = %+v", stacks, m.Artifacts)
	}
}

func TestAppRejectsABadConfigBeforeWritingAnything(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(cfg, []byte(`
transfers:
  - name: ok-one
    source: {account: "111111111111", region: us-east-1, bucket: acme-a}
    destination: {account: "222222222222", region: us-west-2, bucket: acme-b}
  - name: ok-one
    source: {account: "111111111111", region: us-east-1, bucket: acme-c}
    destination: {account: "222222222222", region: us-west-2, bucket: Acme-D, storageClas: GLACIER}
`), 0o644)
	outdir, stderr, err := runApp(t, map[string]any{"config": cfg})
	if err == nil {
		t.Fatal("the app accepted a bad config")
	}
	for _, want := range []string{
		`line 8: transfers[1].destination.storageClas: unknown key "storageClas"`,
		`line 8: transfers[1].destination.bucket: "Acme-D" is not a valid S3 bucket name`,
		`line 6: transfers[1] ("ok-one").name: "ok-one" is already the name of transfers[0] ("ok-one")`,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if templates, _ := filepath.Glob(filepath.Join(outdir, "*.template.json")); len(templates) != 0 {
		t.Errorf("templates written for a bad config: %v", templates)
	}
}

// TestMain removes the app binary and the shared outputs after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	for _, dir := range appDirs {
		os.RemoveAll(dir)
	}
	if appBinary != "" {
		os.RemoveAll(filepath.Dir(appBinary))
	}
	os.Exit(code)
}

// TestAppWarnsOfAdjustableQuotasAndStillSynthesizes: 101 transfers from one account
// into one Region pass DataSync's default quota of 100 tasks per account and Region,
// which can be raised: a warning naming the quota, and the stacks are synthesized.
func TestAppWarnsOfAdjustableQuotasAndStillSynthesizes(t *testing.T) {
	var b strings.Builder
	b.WriteString("transfers:\n")
	for i := 0; i < 101; i++ {
		fmt.Fprintf(&b, "  - name: t-%03d\n    source: {account: \"111111111111\", region: us-east-1, bucket: src-%03d}\n"+
			"    destination: {account: \"222222222222\", region: us-east-1, bucket: central-lake}\n", i, i)
	}
	cfg := filepath.Join(t.TempDir(), "transfers.yaml")
	os.WriteFile(cfg, []byte(b.String()), 0o644)
	outdir, stderr, err := runApp(t, map[string]any{"config": cfg})
	if err != nil {
		t.Fatalf("app failed: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "warning: account 111111111111 would have 101 DataSync tasks in us-east-1; DataSync's default quota is 100 tasks per account and Region") {
		t.Errorf("stderr lacks the quota warning:\n%s", stderr)
	}
	if templates, _ := filepath.Glob(filepath.Join(outdir, "*.template.json")); len(templates) != 103 {
		t.Errorf("%d templates, want 101 source stacks, one destination stack and one monitoring stack", len(templates))
	}
}
