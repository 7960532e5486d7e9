package lambdabuild

import (
	"bytes"
	"debug/elf"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// library returns this checkout's module root, as Locate finds it.
func library(t *testing.T) string {
	t.Helper()
	dir, err := Locate()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// copyLibrary copies go.mod, go.sum and constructs/ of the checkout into a new
// directory, a module root that Plan can hash and tests can change.
func copyLibrary(t *testing.T) string {
	t.Helper()
	src, dst := library(t), t.TempDir()
	for _, f := range []string{"go.mod", "go.sum"} {
		copyFile(t, filepath.Join(src, f), filepath.Join(dst, f))
	}
	err := filepath.WalkDir(filepath.Join(src, "constructs"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		copyFile(t, p, filepath.Join(dst, rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	raw, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, raw, 0o644); err != nil {
		t.Fatal(err)
	}
}

func appendTo(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

func plan(t *testing.T, dir string) *Build {
	t.Helper()
	b, err := Plan(dir)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPlanHashesTheLambdaSourcesOnly(t *testing.T) {
	dir := copyLibrary(t)
	base := plan(t, dir)
	if again := plan(t, dir); again.Hash != base.Hash {
		t.Fatalf("same sources, different hashes: %s, %s", base.Hash, again.Hash)
	}
	for _, want := range []string{"go.mod", "go.sum", "constructs/provider/lambda/main.go", "constructs/provider/handler.go",
		"constructs/provider/resource/resource.go", "constructs/provider/resource/actions.go"} {
		if !contains(base.Files, want) {
			t.Errorf("hashed files lack %s: %v", want, base.Files)
		}
	}
	for _, f := range base.Files {
		if strings.HasSuffix(f, "_test.go") || strings.HasPrefix(f, "constructs/transfer/") || strings.HasPrefix(f, "constructs/spec/") {
			t.Errorf("hashed %s, which the Lambda does not build", f)
		}
	}

	for _, c := range []struct {
		name   string
		change func(dir string)
		same   bool
	}{
		{"a provider source", func(d string) { appendTo(t, filepath.Join(d, "constructs/provider/handler.go"), "\n// changed\n") }, false},
		{"the package the provider shares with the constructs", func(d string) {
			appendTo(t, filepath.Join(d, "constructs/provider/resource/replace.go"), "\n// changed\n")
		}, false},
		{"the Lambda's main", func(d string) { appendTo(t, filepath.Join(d, "constructs/provider/lambda/main.go"), "\n// changed\n") }, false},
		{"a new provider file", func(d string) {
			appendTo(t, filepath.Join(d, "constructs/provider/extra.go"), "package provider\n")
		}, false},
		{"go.sum", func(d string) { appendTo(t, filepath.Join(d, "go.sum"), "example.com/x v1.0.0 h1:AAAA=\n") }, false},
		{"go.mod", func(d string) { appendTo(t, filepath.Join(d, "go.mod"), "\n// changed\n") }, false},
		{"a provider test", func(d string) {
			appendTo(t, filepath.Join(d, "constructs/provider/handler_test.go"), "\n// changed\n")
		}, true},
		{"a file for another platform", func(d string) {
			appendTo(t, filepath.Join(d, "constructs/provider/other_windows.go"), "package provider\n")
		}, true},
		{"the constructs", func(d string) { appendTo(t, filepath.Join(d, "constructs/transfer/bundle.go"), "\n// changed\n") }, true},
		{"the spec package", func(d string) { appendTo(t, filepath.Join(d, "constructs/spec/spec.go"), "\n// changed\n") }, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := copyLibrary(t)
			c.change(d)
			got := plan(t, d).Hash
			if c.same && got != base.Hash {
				t.Errorf("changing %s changed the hash; the Lambda does not build it", c.name)
			}
			if !c.same && got == base.Hash {
				t.Errorf("changing %s kept the hash %s: CDK would reuse a stale bundle", c.name, got)
			}
		})
	}
	t.Run("GOEXPERIMENT", func(t *testing.T) {
		t.Setenv("GOEXPERIMENT", "fieldtrack")
		if plan(t, dir).Hash == base.Hash {
			t.Error("a GOEXPERIMENT setting, which changes the build, kept the hash")
		}
	})
}

// The build's toolchain is part of the hash; when it is missing the hash says so,
// and the build fails naming the cause.
func TestNoGoOnPath(t *testing.T) {
	dir := library(t)
	withGo := plan(t, dir)
	if withGo.GoVersion == "" || withGo.GoMin == "" {
		t.Fatalf("plan with go on PATH: GoVersion %q, GoMin %q", withGo.GoVersion, withGo.GoMin)
	}
	t.Setenv("PATH", t.TempDir())
	withoutGo := plan(t, dir)
	if withoutGo.GoVersion != "" || withoutGo.Hash == withGo.Hash {
		t.Fatalf("plan without go: GoVersion %q, hash %s (with go: %s)", withoutGo.GoVersion, withoutGo.Hash, withGo.Hash)
	}
	err := withGo.Run(t.TempDir())
	var be *Error
	if !errors.As(err, &be) || be.Kind != NoGo {
		t.Fatalf("want a NoGo error, got %v", err)
	}
	for _, want := range []string{"`go` is not on PATH", "Install Go " + withGo.GoMin + " or newer", "run `cdk synth` again"} {
		if !strings.Contains(be.Msg, want) {
			t.Errorf("message lacks %q:\n%s", want, be.Msg)
		}
	}
}

// Modules missing from the module cache, and no way to download them.
func TestMissingModulesNameTheCauseAndTheFix(t *testing.T) {
	dir := library(t)
	b := plan(t, dir)
	for _, c := range []struct {
		name, proxy string
		kind        Kind
		want        []string
	}{
		{"GOPROXY=off", "off", Offline, []string{"not in the module cache", "GOPROXY=off forbids downloading them"}},
		{"no network", "http://127.0.0.1:1", Network, []string{"could not be downloaded (GOPROXY=http://127.0.0.1:1)", "connection refused"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cache := t.TempDir()
			t.Cleanup(func() { exec.Command("chmod", "-R", "u+w", cache).Run() }) // Go writes the cache read-only
			t.Setenv("GOMODCACHE", cache)
			t.Setenv("GOPROXY", c.proxy)
			err := b.Run(t.TempDir())
			var be *Error
			if !errors.As(err, &be) || be.Kind != c.kind {
				t.Fatalf("want kind %d, got %v", c.kind, err)
			}
			for _, want := range append(c.want, "GOWORK=off go -C "+shellQuote(dir)+" mod download", "("+cache+")") {
				if !strings.Contains(be.Msg, want) {
					t.Errorf("message lacks %q:\n%s", want, be.Msg)
				}
			}
		})
	}
}

// The user's GOFLAGS, GOWORK, GOOS and GOARCH are for their own module, whether in
// the environment or written with `go env -w`: the Lambda is the same without them.
func TestBuildIgnoresTheUsersGoFlagsAndWorkspace(t *testing.T) {
	b := plan(t, library(t))
	plain := t.TempDir()
	if err := b.Run(plain); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	work := filepath.Join(dir, "go.work")
	if err := os.WriteFile(work, []byte("go 1.26.8\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	goenv := filepath.Join(dir, "go.env") // what `go env -w` writes; -l turns inlining off
	if err := os.WriteFile(goenv, []byte("GOFLAGS=-gcflags=all=-l\nGOOS=windows\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOENV", goenv)
	t.Setenv("GOFLAGS", "") // an empty variable: the go command reads GOFLAGS from GOENV
	t.Setenv("GOWORK", work)
	t.Setenv("GOARCH", "amd64")
	out := t.TempDir()
	if err := b.Run(out); err != nil {
		t.Fatal(err)
	}
	f, err := elf.Open(filepath.Join(out, "bootstrap"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != elf.EM_AARCH64 {
		t.Errorf("bootstrap is for %v, want arm64 whatever GOARCH says", f.Machine)
	}
	want, _ := os.ReadFile(filepath.Join(plain, "bootstrap"))
	if got, _ := os.ReadFile(filepath.Join(out, "bootstrap")); !bytes.Equal(got, want) {
		t.Error("the user's GOFLAGS (from go env -w) changed the Lambda")
	}
}

// `go mod tidy` in a module that imports the constructs must fetch every module the
// Lambda's main package needs: modules.go names them behind a build tag.
func TestLambdaModulesAreNamed(t *testing.T) {
	dir := library(t)
	modules := func(args ...string) map[string]bool {
		cmd := exec.Command("go", append([]string{"list", "-deps", "-f", "{{with .Module}}{{.Path}}{{end}}"}, args...)...)
		cmd.Dir, cmd.Env = dir, Env()
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list %v: %v", args, err)
		}
		set := map[string]bool{}
		for _, m := range strings.Fields(string(out)) {
			set[m] = true
		}
		return set
	}
	named := modules("-tags", "cdkdatasync_lambda_modules", ModulePath+"/constructs/transfer")
	for m := range modules("-tags", "lambda.norpc", MainPackage) {
		if m != ModulePath && !named[m] {
			t.Errorf("the Lambda needs module %s, which a module importing constructs/transfer does not get with go mod tidy: import one of its packages in modules.go", m)
		}
	}
}

func TestLocateFindsTheLibrary(t *testing.T) {
	dir := library(t)
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil || !strings.HasPrefix(string(gomod), "module "+ModulePath+"\n") {
		t.Fatalf("Locate returned %s, whose go.mod is not the library's (%v)", dir, err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// The notifier is another main package of the library, planned the same way: its own
// files (with what it imports of this module), its own hash; the provider's plan is
// the same whichever way it is asked for.
func TestPlanPackageHashesTheNotifierOnItsOwn(t *testing.T) {
	dir := library(t)
	provider, err := Plan(dir)
	if err != nil {
		t.Fatal(err)
	}
	same, err := PlanPackage(dir, MainPackage)
	if err != nil || same.Hash != provider.Hash || same.Package != MainPackage {
		t.Fatalf("PlanPackage(MainPackage) = %+v, %v; Plan's hash is %s", same, err, provider.Hash)
	}
	notifier, err := PlanPackage(dir, NotifierPackage)
	if err != nil {
		t.Fatal(err)
	}
	if notifier.Hash == provider.Hash || notifier.Package != NotifierPackage {
		t.Errorf("notifier plan %+v", notifier)
	}
	for _, want := range []string{"constructs/monitor/lambda/main.go", "constructs/monitor/notifier.go", "app/operate/schedule.go", "constructs/spec/spec.go"} {
		if !contains(notifier.Files, want) {
			t.Errorf("notifier's hashed files lack %s: %v", want, notifier.Files)
		}
	}
	// What it imports of this module is hashed (app/operate brings constructs/provider),
	// the provider's own main and test files are not.
	for _, f := range notifier.Files {
		if strings.HasPrefix(f, "constructs/provider/lambda/") || strings.HasSuffix(f, "_test.go") {
			t.Errorf("notifier hashes %s, which it does not build", f)
		}
	}
	if got := argsFor(NotifierPackage, "OUT"); got[len(got)-1] != NotifierPackage {
		t.Errorf("build args %v", got)
	}
}
