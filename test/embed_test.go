package test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

// readmeApp is the user's main.go of the out-of-repository test: the README's
// embedding examples "Destination side, in a stack that knows the bucket only by name"
// and "Source side, in a stack of another Region" (found by what they call), each in
// its own block of one main function that builds and synthesizes one app.
func readmeApp(t *testing.T) string {
	t.Helper()
	readme := readFile(t, filepath.Join(repoRoot(t), "README.md"))
	find := func(marker string) string {
		for _, b := range strings.Split(readme, "```go\n")[1:] {
			if code := strings.SplitN(b, "```", 2)[0]; strings.Contains(code, marker) {
				return code
			}
		}
		t.Fatalf("README.md has no Go example that contains %q: the out-of-repository test runs the README's embedding examples", marker)
		return ""
	}
	body := func(code string) string {
		for _, line := range []string{"app := awscdk.NewApp(nil)\n", "app.Synth(nil)\n"} {
			if !strings.Contains(code, line) {
				t.Fatalf("README example does not contain %q:\n%s", line, code)
			}
			code = strings.Replace(code, line, "", 1)
		}
		return "\t{\n" + code + "\t}\n"
	}
	return `package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/s3transfer/cdk-datasync/constructs/spec"
	"github.com/s3transfer/cdk-datasync/constructs/transfer"
)

` + find("func mediaArchive() spec.Transfer") + `
func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
` + body(find("awss3.Bucket_FromBucketName(")) + body(find("transfer.NewSourceTransfer(")) + `	app.Synth(nil)
}
`
}

// forkMarker is compiled into the user's fork of aws-lambda-go's lambda package. The
// Lambda is built from the library's own go.mod, so it must never contain it.
const forkMarker = "cdk-datasync-test: the user's fork of aws-lambda-go"

// TestEmbeddedInAnotherModule is the README's embedding path as a user takes it, in
// a module outside this repository: the library from a read-only copy of this
// checkout (by `replace`, and served from a file:// module proxy into the module
// cache), `go mod tidy`, `cdk synth` with the pinned CLI, then the stacks and the
// bundled bootstrap: the same asset hash and the same bytes as this checkout builds,
// although the user's go.mod replaces aws-lambda-go. Offline: GOPROXY=off (and the file:// proxy), so every module
// comes from the module cache that `make test` filled with `go mod download`.
func TestEmbeddedInAnotherModule(t *testing.T) {
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	cdk := filepath.Join(repo, "node_modules", ".bin", "cdk")
	if _, err := os.Stat(cdk); err != nil {
		t.Fatalf("the pinned aws-cdk CLI is not installed (%v): run `npm ci` in %s, or `make test`, which does", err, repo)
	}
	lib := readOnlyCopy(t, repo)
	before := treeSums(t, lib)
	// The bundle as this checkout builds it: the user's synth must name and build the same.
	inRepo := t.TempDir()
	wantHash := bundledSource(t, inRepo)
	wantBootstrap := fileSum(t, filepath.Join(inRepo, "asset."+wantHash, "bootstrap"))

	t.Run("replace to a directory", func(t *testing.T) {
		user := t.TempDir()
		fork := forkOfLambdaGo(t, user)
		run(t, user, nil, "go", "mod", "init", "example.com/platform")
		run(t, user, nil, "go", "mod", "edit", "-go=1.24.0",
			"-replace=github.com/s3transfer/cdk-datasync="+lib,
			"-replace=github.com/aws/aws-lambda-go="+fork)
		userApp(t, user)
		tidy(t, user, offlineTidy())
		checkGoMod(t, user, lib)
		checkReadmeGoMod(t, user)
		checkAppCompilesNoProviderRuntime(t, user)
		checkSynth(t, user, cdk, offline(), wantHash, wantBootstrap)
	})

	t.Run("module cache from a module proxy", func(t *testing.T) {
		version := fmt.Sprintf("v0.0.0-embedtest.%d.%d", time.Now().Unix(), os.Getpid())
		proxy := moduleProxy(t, lib, version)
		cached := filepath.Join(goEnv(t, "GOMODCACHE"), "github.com", "s3transfer", "cdk-datasync@"+version)
		t.Cleanup(func() { removeFromModuleCache(t, version) })
		// The library's version is served by the file:// proxy; every other module
		// comes from the module cache.
		proxyEnv := []string{"GOPROXY=file://" + filepath.ToSlash(proxy) + ",off"}
		user := t.TempDir()
		run(t, user, nil, "go", "mod", "init", "example.com/platform")
		userApp(t, user)
		run(t, user, append(offlineTidy(), proxyEnv...), "go", "get", "github.com/s3transfer/cdk-datasync@latest")
		tidy(t, user, append(offlineTidy(), proxyEnv...))
		checkGoMod(t, user, version)
		if st, err := os.Stat(filepath.Join(cached, "go.mod")); err != nil || st.Mode().Perm()&0o222 != 0 {
			t.Fatalf("the library is not a read-only copy in the module cache at %s: %v", cached, err)
		}
		checkSynth(t, user, cdk, append(offline(), proxyEnv...), wantHash, wantBootstrap)
		if after := treeSums(t, cached); !equalSums(before, after) {
			t.Errorf("the synth changed the library in the module cache:\n%s", diffSums(before, after))
		}
	})

	if after := treeSums(t, lib); !equalSums(before, after) {
		t.Errorf("go mod tidy or the synth wrote into the library's read-only directory:\n%s", diffSums(before, after))
	}
}

// offline is the environment of the user's `cdk synth`: no module proxy, so every
// module must come from the module cache (`go run .` with Go's default -mod=readonly,
// as a user runs it).
func offline() []string {
	return []string{"GOPROXY=off", "GOWORK=off"}
}

// offlineTidy is the environment of the user's `go get` and `go mod tidy`: offline,
// and without the checksum database (sum.golang.org is not reachable either). The
// hashes they write into the user's go.sum come from the module cache, which
// `go mod download` filled and checked against this repository's go.sum.
func offlineTidy() []string {
	return append(offline(), "GOSUMDB=off")
}

// tidy runs `go mod tidy -e` offline. With a network a plain `go mod tidy` also
// fetches the modules that only the tests of the library's dependencies import (for
// `go test all`: testify, go-cmp, ...), which `make test`'s `go mod download` does not
// put into the module cache; -e lets tidy go on without them, and every problem it
// reports must be of that kind.
func tidy(t *testing.T, dir string, env []string) {
	t.Helper()
	cmd := exec.Command("go", "mod", "tidy", "-e")
	cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go mod tidy -e: %v\n%s", err, out)
	}
	tolerated := 0
	for _, block := range strings.Split("\n"+strings.TrimSpace(string(out)), "\ngo: ")[1:] {
		switch {
		case strings.HasPrefix(block, "finding module "), strings.HasPrefix(block, "found "), strings.HasPrefix(block, "downloading "):
		case strings.Contains(block, " tested by\n") &&
			(strings.Contains(block, "cannot find module") || strings.Contains(block, "module lookup disabled")):
			tolerated++
		default:
			t.Fatalf("go mod tidy -e reports a problem of the user's build itself:\ngo: %s", block)
		}
	}
	t.Logf("go mod tidy -e: %d module(s) missing offline for tests of dependencies only", tolerated)
}

func fileSum(t *testing.T, path string) string {
	t.Helper()
	return fmt.Sprintf("%x", sha256.Sum256([]byte(readFile(t, path))))
}

func userApp(t *testing.T, dir string) {
	t.Helper()
	write(t, filepath.Join(dir, "main.go"), readmeApp(t))
	write(t, filepath.Join(dir, "cdk.json"), `{"app": "go run ."}`+"\n")
}

// checkGoMod checks the user's go.mod and go.sum after `go mod tidy`: the library is
// required, the go line and the CDK modules are raised to what it needs, and the
// modules of the Lambda's own main package are in go.sum.
func checkGoMod(t *testing.T, dir, libVersionOrDir string) {
	t.Helper()
	mod := runOut(t, dir, nil, "go", "mod", "edit", "-json")
	var gomod struct {
		Go      string
		Require []struct{ Path, Version string }
		Replace []struct {
			Old, New struct{ Path, Version string }
		}
	}
	if err := json.Unmarshal(mod, &gomod); err != nil {
		t.Fatal(err)
	}
	requires := map[string]string{}
	for _, r := range gomod.Require {
		requires[r.Path] = r.Version
	}
	libGoMod := readFile(t, filepath.Join(repoRoot(t), "go.mod"))
	for path, v := range map[string]string{
		"github.com/aws/aws-cdk-go/awscdk/v2":         requiredVersion(libGoMod, "github.com/aws/aws-cdk-go/awscdk/v2"),
		"github.com/aws/constructs-go/constructs/v10": requiredVersion(libGoMod, "github.com/aws/constructs-go/constructs/v10"),
		"github.com/aws/jsii-runtime-go":              requiredVersion(libGoMod, "github.com/aws/jsii-runtime-go"),
	} {
		if requires[path] != v {
			t.Errorf("go.mod requires %s %q, want the library's %s", path, requires[path], v)
		}
	}
	if _, ok := requires["github.com/s3transfer/cdk-datasync"]; !ok {
		t.Errorf("go.mod does not require the library: %s", mod)
	}
	if !strings.Contains(string(mod), libVersionOrDir) {
		t.Errorf("go.mod does not take the library from %s: %s", libVersionOrDir, mod)
	}
	if libGo := goDirective(libGoMod); gomod.Go != libGo {
		t.Errorf("go.mod's go line is %s, want it raised to the library's %s", gomod.Go, libGo)
	}
	sum := readFile(t, filepath.Join(dir, "go.sum"))
	config := "github.com/aws/aws-sdk-go-v2/config " + requiredVersion(libGoMod, "github.com/aws/aws-sdk-go-v2/config") + " h1:"
	if !strings.Contains(sum, config) {
		t.Errorf("go mod tidy did not fetch the Lambda's modules: go.sum lacks %q", config)
	}
}

// checkAppCompilesNoProviderRuntime: the user's app compiles the constructs, not the
// provider's runtime (the AWS SDK, aws-lambda-go), though its go.mod lists the
// Lambda's modules for the synth's build.
func checkAppCompilesNoProviderRuntime(t *testing.T, dir string) {
	t.Helper()
	var runtime []string
	for _, p := range strings.Fields(string(runOut(t, dir, offline(), "go", "list", "-deps", "."))) {
		if providerRuntime(p) {
			runtime = append(runtime, p)
		}
	}
	if len(runtime) > 0 {
		t.Errorf("the user's app compiles %d packages only the provider Lambda runs: %s", len(runtime), strings.Join(runtime, ", "))
	}
}

// checkReadmeGoMod checks that the go.mod the README shows is what `go mod tidy`
// wrote: the same go line, and each requirement it shows.
func checkReadmeGoMod(t *testing.T, dir string) {
	t.Helper()
	readme := readFile(t, filepath.Join(repoRoot(t), "README.md"))
	parts := strings.SplitN(readme, "```go.mod\n", 2)
	if len(parts) != 2 {
		t.Fatal("README.md shows no go.mod (a ```go.mod block) of a module that uses the library")
	}
	shown := strings.SplitN(parts[1], "```", 2)[0]
	got := readFile(t, filepath.Join(dir, "go.mod"))
	lines := map[string]bool{}
	for _, l := range strings.Split(got, "\n") {
		lines[l] = true
	}
	n := 0
	for _, l := range strings.Split(shown, "\n") {
		f := strings.Fields(l)
		isRequire := strings.HasPrefix(l, "\t") && len(f) >= 2 && strings.HasPrefix(f[1], "v")
		if (isRequire || strings.HasPrefix(l, "go ")) && !lines[l] {
			t.Errorf("README's go.mod shows %q; go mod tidy wrote:\n%s", l, got)
		}
		if isRequire {
			n++
		}
	}
	if n == 0 {
		t.Errorf("README's go.mod shows no requirement:\n%s", shown)
	}
}

// checkSynth runs `cdk synth` of the user's app with the pinned CLI and checks the
// stacks and the bundled bootstrap.
func checkSynth(t *testing.T, dir, cdk string, env []string, wantHash, wantBootstrap string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "cdk.out")
	run(t, dir, append(env, "PATH="+filepath.Dir(cdk)+string(os.PathListSeparator)+os.Getenv("PATH")),
		cdk, "synth", "--quiet", "--output", out)

	// The README's two stacks, told apart by what they hold.
	templates, _ := filepath.Glob(filepath.Join(out, "*.template.json"))
	if len(templates) != 2 {
		t.Fatalf("cdk.out has %d templates, want the README example's destination and source stacks: %v", len(templates), templates)
	}
	shared, platform := readTemplate(t, templates[0]), readTemplate(t, templates[1])
	if len(shared.resources("Custom::DataSyncTask")) > 0 {
		shared, platform = platform, shared
	}
	for _, c := range []struct {
		stack tmpl
		typ   string
		count int
	}{
		{shared, "Custom::S3OwnershipControls", 1},
		{shared, "Custom::S3BucketPolicyStatements", 1},
		{shared, "AWS::S3::BucketPolicy", 0},
		{platform, "Custom::DataSyncS3Location", 2},
		{platform, "Custom::DataSyncTask", 1},
	} {
		if n := len(c.stack.resources(c.typ)); n != c.count {
			t.Errorf("%d %s, want %d", n, c.typ, c.count)
		}
	}
	if task := platform.one(t, "Custom::DataSyncTask"); task["Region"] != "us-west-2" {
		t.Errorf("task Region %v, want the destination's us-west-2", task["Region"])
	}
	for name, stack := range map[string]tmpl{"destination": shared, "source": platform} {
		for id, fn := range stack.resources("AWS::Lambda::Function") {
			key, _ := fn["Properties"].(map[string]any)["Code"].(map[string]any)["S3Key"].(string)
			if key != wantHash+".zip" {
				t.Errorf("%s/%s code %s, want the asset this checkout names, %s.zip", name, id, key, wantHash)
			}
		}
	}
	bootstrap := filepath.Join(out, "asset."+wantHash, "bootstrap")
	checkBootstrap(t, bootstrap)
	if got := fileSum(t, bootstrap); got != wantBootstrap {
		t.Errorf("the user's synth built another bootstrap (sha256 %s) than this checkout does (%s)", got, wantBootstrap)
	}
	if raw, err := os.ReadFile(bootstrap); err == nil && bytes.Contains(raw, []byte(forkMarker)) {
		t.Error("the Lambda was built with the user's replacement of aws-lambda-go, not the library's go.mod")
	}
}

func readTemplate(t *testing.T, path string) tmpl {
	t.Helper()
	var tm tmpl
	if err := json.Unmarshal([]byte(readFile(t, path)), &tm); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return tm
}

// readOnlyCopy copies the checkout's files (tracked, and untracked but not ignored)
// into a new directory and makes them read-only, as the module cache is. (As root,
// permissions do not stop writes: treeSums checks that nothing changed.)
func readOnlyCopy(t *testing.T, repo string) string {
	t.Helper()
	lib := filepath.Join(t.TempDir(), "cdk-datasync")
	files := runOut(t, repo, nil, "git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	for _, f := range strings.Split(strings.TrimRight(string(files), "\x00"), "\x00") {
		raw, err := os.ReadFile(filepath.Join(repo, f))
		if os.IsNotExist(err) {
			continue // deleted in the work tree
		}
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(lib, f)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, raw, 0o444); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { exec.Command("chmod", "-R", "u+w", lib).Run() })
	run(t, lib, nil, "chmod", "-R", "a-w", lib)
	return lib
}

// treeSums maps every file under dir to its SHA-256.
func treeSums(t *testing.T, dir string) map[string]string {
	t.Helper()
	sums := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		raw, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		sums[rel] = fmt.Sprintf("%x", sha256.Sum256(raw))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return sums
}

func equalSums(a, b map[string]string) bool { return diffSums(a, b) == "" }

func diffSums(a, b map[string]string) string {
	var out []string
	for f, s := range a {
		if b[f] != s {
			out = append(out, "changed or removed: "+f)
		}
	}
	for f := range b {
		if _, ok := a[f]; !ok {
			out = append(out, "added: "+f)
		}
	}
	return strings.Join(out, "\n")
}

// forkOfLambdaGo copies the library's version of aws-lambda-go from the module cache
// into dir, with an init function in its lambda package that carries forkMarker.
func forkOfLambdaGo(t *testing.T, dir string) string {
	t.Helper()
	src := strings.TrimSpace(string(runOut(t, repoRoot(t), []string{"GOFLAGS=-mod=readonly"}, "go", "list", "-m", "-f", "{{.Dir}}", "github.com/aws/aws-lambda-go")))
	fork := filepath.Join(dir, "aws-lambda-go-fork")
	run(t, dir, nil, "cp", "-R", src, fork)
	run(t, dir, nil, "chmod", "-R", "u+w", fork)
	write(t, filepath.Join(fork, "lambda", "zz_fork.go"),
		"package lambda\n\nimport \"os\"\n\nfunc init() { os.Setenv(\"CDK_DATASYNC_TEST_FORK\", "+fmt.Sprintf("%q", forkMarker)+") }\n")
	return fork
}

// moduleProxy serves the library at version from a file:// GOPROXY directory, with
// the module zip the go command would download from a real proxy.
func moduleProxy(t *testing.T, lib, version string) string {
	t.Helper()
	proxy := t.TempDir()
	at := filepath.Join(proxy, "github.com", "s3transfer", "cdk-datasync", "@v")
	if err := os.MkdirAll(at, 0o755); err != nil {
		t.Fatal(err)
	}
	zf, err := os.Create(filepath.Join(at, version+".zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer zf.Close()
	if err := modzip.CreateFromDir(zf, module.Version{Path: "github.com/s3transfer/cdk-datasync", Version: version}, lib); err != nil {
		t.Fatalf("zipping the library: %v", err)
	}
	write(t, filepath.Join(at, version+".mod"), readFile(t, filepath.Join(lib, "go.mod")))
	write(t, filepath.Join(at, version+".info"), fmt.Sprintf(`{"Version":%q,"Time":%q}`, version, time.Now().UTC().Format(time.RFC3339)))
	write(t, filepath.Join(at, "list"), version+"\n")
	return proxy
}

// removeFromModuleCache deletes this test's version of the library from the shared
// module cache (extracted files and download cache entries).
func removeFromModuleCache(t *testing.T, version string) {
	cache := goEnv(t, "GOMODCACHE")
	dir := filepath.Join(cache, "github.com", "s3transfer", "cdk-datasync@"+version)
	exec.Command("chmod", "-R", "u+w", dir).Run()
	os.RemoveAll(dir)
	dl := filepath.Join(cache, "cache", "download", "github.com", "s3transfer", "cdk-datasync", "@v")
	files, _ := filepath.Glob(filepath.Join(dl, version+".*"))
	for _, f := range files {
		os.Remove(f)
	}
	if others, _ := filepath.Glob(filepath.Join(dl, "*.mod")); len(others) == 0 {
		os.RemoveAll(filepath.Dir(dl))
	}
}

func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func goEnv(t *testing.T, key string) string {
	return strings.TrimSpace(string(runOut(t, ".", nil, "go", "env", key)))
}

// requiredVersion returns the version go.mod requires of path.
func requiredVersion(gomod, path string) string {
	for _, line := range strings.Split(gomod, "\n") {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
		if len(f) >= 2 && f[0] == path {
			return f[1]
		}
	}
	return "(not required)"
}

func goDirective(gomod string) string {
	for _, line := range strings.Split(gomod, "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "go" {
			return f[1]
		}
	}
	return ""
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func run(t *testing.T, dir string, env []string, name string, args ...string) {
	t.Helper()
	runOut(t, dir, env, name, args...)
}

// runOut runs a command in dir with env added to this process's, failing the test
// with its output when it fails.
func runOut(t *testing.T, dir string, env []string, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s (in %s): %v\n%s%s", name, strings.Join(args, " "), dir, err, out, stderr.String())
	}
	t.Logf("%s %s: %.1fs", filepath.Base(name), strings.Join(args, " "), time.Since(start).Seconds())
	return out
}
