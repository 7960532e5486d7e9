package test

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/s3transfer/cdk-datasync/constructs/spec"
	"github.com/s3transfer/cdk-datasync/constructs/transfer"
)

// bundledSource synthesizes a source stack (with the provider Lambda) into outdir with
// bundling on, and returns the asset hash its function's code names.
func bundledSource(t *testing.T, outdir string) string {
	t.Helper()
	ctx := cdkContext(t)
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir), Context: &ctx})
	stack := awscdk.NewStack(app, jsii.String("Platform"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("us-west-2")},
	})
	tr := crossRegion()
	// The provider alone: the notifier has its own bundle (TestNotifierBundle...).
	tr.Monitoring.Enabled = jsii.Bool(false)
	transfer.NewSourceTransfer(stack, "MediaArchive", &transfer.SourceTransferProps{Transfer: &tr})
	app.Synth(nil)
	code := toJSON(stack).one(t, "AWS::Lambda::Function")["Code"].(map[string]any)
	return strings.TrimSuffix(code["S3Key"].(string), ".zip")
}

// TestNotifierBundleIsAStaticStrippedArm64Bootstrap: with monitoring on, the source
// side has a second Lambda, the notifier, built the same way from its own package;
// the shared dashboard's function uses the same bundle.
func TestNotifierBundleIsAStaticStrippedArm64Bootstrap(t *testing.T) {
	dir := t.TempDir()
	ctx := cdkContext(t)
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(dir), Context: &ctx})
	tr := crossRegion()
	stacks := transfer.NewStacks(app, []spec.Transfer{tr})
	app.Synth(nil)
	keys := map[string]string{} // function name or logical ID -> asset
	for _, stack := range []awscdk.Stack{stacks.Sources[0], stacks.Monitoring[0]} {
		for id, r := range toJSON(stack).resources("AWS::Lambda::Function") {
			props := r["Properties"].(map[string]any)
			name, _ := props["FunctionName"].(string)
			if name == "" {
				name = id
			}
			keys[name] = strings.TrimSuffix(props["Code"].(map[string]any)["S3Key"].(string), ".zip")
		}
	}
	provider, notifier := keys[tr.ProviderFunctionName()], keys[tr.NotifierFunctionName()]
	if provider == "" || notifier == "" || provider == notifier || len(keys) != 3 {
		t.Fatalf("functions and assets %v: want the provider, the notifier (another asset) and the dashboard's function", keys)
	}
	for name, key := range keys {
		if name != tr.ProviderFunctionName() && name != tr.NotifierFunctionName() && key != notifier {
			t.Errorf("the dashboard function %s uses asset %s, not the notifier's %s", name, key, notifier)
		}
	}
	checkBootstrap(t, filepath.Join(dir, "asset."+notifier, "bootstrap"))
}

// checkBootstrap checks that path is what provided.al2023 on arm64 runs: an
// executable, static, stripped arm64 ELF.
func checkBootstrap(t *testing.T, path string) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatalf("the function's asset has no bootstrap: %v", err)
	}
	if st.Mode().Perm()&0o111 == 0 {
		t.Error("bootstrap is not executable")
	}
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("bootstrap is not an ELF executable: %v", err)
	}
	defer f.Close()
	if f.Machine != elf.EM_AARCH64 || f.Type != elf.ET_EXEC {
		t.Errorf("bootstrap is %v %v, want an arm64 executable", f.Machine, f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("bootstrap is dynamically linked; provided.al2023 needs a static binary")
		}
	}
	if f.Section(".symtab") != nil {
		t.Error("bootstrap is not stripped")
	}
}

// goBuildLog puts a `go` first on PATH that logs its arguments and runs the real go,
// and returns the log's path. The bundler runs `go` from this process's PATH.
func goBuildLog(t *testing.T) string {
	t.Helper()
	real, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	real, _ = filepath.Abs(real)
	dir := t.TempDir()
	log := filepath.Join(dir, "go.log")
	script := "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '" + log + "'\nexec '" + real + "' \"$@\"\n"
	if err := os.WriteFile(filepath.Join(dir, "go"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return log
}

func lambdaBuilds(t *testing.T, log string) int {
	t.Helper()
	raw, err := os.ReadFile(log)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "build ") && strings.HasSuffix(line, "/constructs/provider/lambda") {
			n++
		}
	}
	return n
}

// TestProviderBundleIsAStaticStrippedArm64Bootstrap builds the Lambda as `cdk synth`
// does and inspects the binary.
func TestProviderBundleIsAStaticStrippedArm64Bootstrap(t *testing.T) {
	dir := t.TempDir()
	hash := bundledSource(t, dir)
	checkBootstrap(t, filepath.Join(dir, "asset."+hash, "bootstrap"))
	// Every function of the stack shares the one asset (bundled once per synth).
	assets, _ := filepath.Glob(filepath.Join(dir, "asset.*"))
	if len(assets) != 1 {
		t.Errorf("%d assets in cdk.out, want the one provider bundle", len(assets))
	}
}

// A second synth of the same sources into the same cdk.out names the same asset and
// does not run `go build` again (the hash comes from the sources, so CDK finds the
// staged asset before bundling); a fresh cdk.out gets the same hash again.
func TestProviderBundleIsNotRebuiltForTheSameSources(t *testing.T) {
	log := goBuildLog(t)
	dir := t.TempDir()
	first := bundledSource(t, dir)
	if n := lambdaBuilds(t, log); n != 1 {
		t.Fatalf("first synth ran %d Lambda builds, want 1", n)
	}
	bootstrap := filepath.Join(dir, "asset."+first, "bootstrap")
	before, err := os.Stat(bootstrap)
	if err != nil {
		t.Fatal(err)
	}

	second := bundledSource(t, dir)
	if second != first {
		t.Errorf("same sources, new asset hash: %s, then %s", first, second)
	}
	if n := lambdaBuilds(t, log); n != 1 {
		t.Errorf("the second synth into the same cdk.out ran `go build` again (%d builds in all)", n)
	}
	if after, err := os.Stat(bootstrap); err != nil || !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("the staged bootstrap was replaced: %v", err)
	}

	if fresh := bundledSource(t, t.TempDir()); fresh != first {
		t.Errorf("same sources into a fresh cdk.out, new asset hash: %s, then %s", first, fresh)
	}
}

// Without a Go toolchain the synth stops with a message that says so and what to do.
func TestBundlingWithoutGoSaysWhatToInstall(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal(err)
	}
	nodeOnly := t.TempDir() // PATH keeps node (jsii's runtime) and loses go
	if err := os.Symlink(node, filepath.Join(nodeOnly, "node")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", nodeOnly)
	msg := expectPanic(t, func() { bundledSource(t, t.TempDir()) })
	t.Logf("synth error:\n%s", msg)
	for _, want := range []string{"building the DataSync provider Lambda needs the Go toolchain, and `go` is not on PATH", "https://go.dev/dl/"} {
		if !strings.Contains(msg, want) {
			t.Errorf("synth error lacks %q:\n%s", want, msg)
		}
	}
}

// Modules the Lambda needs that are neither in the module cache nor downloadable
// (GOPROXY=off) stop the synth with the command that fetches them.
func TestBundlingOfflineSaysWhatToRun(t *testing.T) {
	cache := t.TempDir()
	t.Cleanup(func() { exec.Command("chmod", "-R", "u+w", cache).Run() })
	t.Setenv("GOMODCACHE", cache)
	t.Setenv("GOPROXY", "off")
	msg := expectPanic(t, func() { bundledSource(t, t.TempDir()) })
	t.Logf("synth error:\n%s", msg)
	for _, want := range []string{"GOPROXY=off forbids downloading them", "GOWORK=off go -C ", " mod download"} {
		if !strings.Contains(msg, want) {
			t.Errorf("synth error lacks %q:\n%s", want, msg)
		}
	}
}
