// Package lambdabuild builds the library's Lambda functions (the provider,
// constructs/provider/lambda, and the notifier, constructs/monitor/lambda) with the
// local Go toolchain, inside this library's own module directory, and names the build
// by a hash of its inputs.
//
// The build runs in the library's module root with its own go.mod and go.sum (GOWORK=off,
// -mod=readonly), never in the module of the CDK app that imports the library: the app's
// go.sum only covers what the app imports, and its go.mod may select other versions of
// the AWS SDK. So the Lambda is the same binary whether the library is this repository,
// a `replace` to a directory or a read-only copy in the module cache.
//
// The hash is computed from the build's inputs, not its output: every file of the
// packages of this module that the Lambda's main package imports (as the build sees them:
// linux/arm64, CGO off, its build tags), go.mod, go.sum, the Go toolchain's version and
// the build's flags and environment. The CDK asset of the Lambda is named by it, so CDK
// skips the build when cdk.out already holds it.
package lambdabuild

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"go/build"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
)

const (
	// ModulePath is this library's module path.
	ModulePath = "github.com/s3transfer/cdk-datasync"
	// MainPackage is the import path of the provider Lambda's main package.
	MainPackage = ModulePath + "/constructs/provider/lambda"
	// NotifierPackage is the import path of the monitoring notifier's main package.
	NotifierPackage = ModulePath + "/constructs/monitor/lambda"
	// scheme names the way inputs are hashed; change it when that way changes.
	scheme = "cdk-datasync provider bundle, hash scheme 1"
)

// buildEnv is the environment of the build on top of the caller's (which keeps
// GOPROXY, GOMODCACHE, GOCACHE, GOTOOLCHAIN, proxies and credentials for downloads).
// GOFLAGS is replaced so that flags the user set for their own module (-mod=vendor,
// -modfile), in the environment or with `go env -w`, cannot change the Lambda: the go
// command takes an empty variable's value from its env file, so it is not left empty.
var buildEnv = []string{
	"GOOS=linux", "GOARCH=arm64", "GOARM64=v8.0", "CGO_ENABLED=0", "GOWORK=off", "GOFLAGS=-mod=readonly",
}

// buildArgs are the `go build` arguments before -o: static, stripped and reproducible
// (-trimpath, no VCS stamp), without the RPC support the provided.al2023 runtime does
// not use, from the library's go.mod and go.sum only.
var buildArgs = []string{
	"build", "-mod=readonly", "-trimpath", "-buildvcs=false", "-tags", "lambda.norpc", "-ldflags", "-s -w",
}

// Build is one build of the Lambda: where it runs, and the hash of its inputs.
type Build struct {
	// Dir is the library's module root; the build runs there.
	Dir string
	// Package is the main package built (MainPackage unless PlanPackage named another).
	Package string
	// Hash is the hex SHA-256 of the build's inputs.
	Hash string
	// GoVersion is the toolchain version the build uses and its GOEXPERIMENT, "" when
	// `go` was not found.
	GoVersion string
	// GoMin is the Go version the library's go.mod asks for.
	GoMin string
	// Files are the hashed files, relative to Dir, slash-separated.
	Files []string
}

// Env is the build's environment: the process's, with buildEnv set.
func Env() []string {
	env := os.Environ()
	for _, kv := range buildEnv {
		env = setEnv(env, kv)
	}
	return env
}

func setEnv(env []string, kv string) []string {
	key := kv[:strings.IndexByte(kv, '=')+1]
	out := env[:0:0]
	for _, e := range env {
		if !strings.HasPrefix(e, key) {
			out = append(out, e)
		}
	}
	return append(out, kv)
}

// Args returns the `go build` arguments that write the provider's bootstrap into outDir.
func Args(outDir string) []string { return argsFor(MainPackage, outDir) }

// argsFor returns the `go build` arguments that write the bootstrap of main package
// pkg into outDir.
func argsFor(pkg, outDir string) []string {
	args := append([]string(nil), buildArgs...)
	return append(args, "-o", filepath.Join(outDir, "bootstrap"), pkg)
}

var (
	goVersionMu sync.Mutex
	goVersions  = map[string]string{} // by go binary, module directory, GOTOOLCHAIN and GOEXPERIMENT; successes only
)

// goVersion returns `go env GOVERSION GOEXPERIMENT` run in dir as the build runs: the
// toolchain the build will use after any GOTOOLCHAIN switch, and the experiments it
// builds with (from the environment or `go env -w`). ok is false when `go` is not found.
func goVersion(dir string) (string, bool) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", false
	}
	key := strings.Join([]string{goBin, dir, os.Getenv("GOTOOLCHAIN"), os.Getenv("GOEXPERIMENT")}, "\x00")
	goVersionMu.Lock()
	defer goVersionMu.Unlock()
	if v, ok := goVersions[key]; ok {
		return v, true
	}
	cmd := exec.Command(goBin, "env", "GOVERSION", "GOEXPERIMENT")
	cmd.Dir, cmd.Env = dir, Env()
	out, err := cmd.Output()
	if err != nil {
		// A toolchain that cannot even report its version fails the build with its own
		// message; hash with what is known so that nothing stale is reused.
		return "unknown (" + goBin + ")", true
	}
	v := strings.Join(strings.Fields(string(out)), " ")
	goVersions[key] = v
	return v, true
}

// Plan hashes the inputs of a build of the provider Lambda in the library module at dir.
func Plan(dir string) (*Build, error) { return PlanPackage(dir, MainPackage) }

// PlanPackage hashes the inputs of a build of the Lambda whose main package is pkg (an
// import path in this module) in the library module at dir.
func PlanPackage(dir, pkg string) (*Build, error) {
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return nil, fmt.Errorf("reading the library's go.mod: %w", err)
	}
	files, err := sourceFiles(dir, pkg)
	if err != nil {
		return nil, err
	}
	b := &Build{Dir: dir, Package: pkg, GoMin: goLine(gomod), Files: append([]string{"go.mod", "go.sum"}, files...)}
	goV, found := goVersion(dir)
	if found {
		b.GoVersion = goV
	} else {
		goV = "not on PATH"
	}
	h := sha256.New()
	// The provider's hash stays what it was before other packages could be built.
	fmt.Fprintf(h, "%s\ngo %s\nenv %q\nargs %q\n", scheme, goV, buildEnv, argsFor(pkg, "OUT"))
	for _, f := range b.Files {
		raw, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f)))
		if err != nil {
			return nil, fmt.Errorf("hashing the provider Lambda's sources: %w", err)
		}
		sum := sha256.Sum256(raw)
		fmt.Fprintf(h, "file %q %x\n", f, sum)
	}
	b.Hash = hex.EncodeToString(h.Sum(nil))
	return b, nil
}

// goLine returns the version of go.mod's go directive.
func goLine(gomod []byte) string {
	for _, line := range strings.Split(string(gomod), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "go" {
			return f[1]
		}
	}
	return "(see go.mod)"
}

// sourceFiles returns the files (relative to dir, slash-separated, sorted) of the
// packages of this module that the main package pkg imports, itself included, as the build
// sees them: Go, assembly and header files that pass the build constraints for
// linux/arm64 without cgo, and embedded files. Test files are not part of the build.
func sourceFiles(dir, pkg string) ([]string, error) {
	ctx := build.Default
	ctx.GOOS, ctx.GOARCH, ctx.CgoEnabled = "linux", "arm64", false
	ctx.BuildTags = []string{"lambda.norpc"}
	ctx.Dir = dir
	seen := map[string]bool{}
	var files []string
	var visit func(importPath string) error
	visit = func(importPath string) error {
		if seen[importPath] {
			return nil
		}
		seen[importPath] = true
		rel := strings.TrimPrefix(strings.TrimPrefix(importPath, ModulePath), "/")
		pkgDir := filepath.Join(dir, filepath.FromSlash(rel))
		p, err := ctx.ImportDir(pkgDir, 0)
		if err != nil {
			return fmt.Errorf("reading the provider Lambda's package %s in %s: %w", importPath, pkgDir, err)
		}
		for _, list := range [][]string{p.GoFiles, p.SFiles, p.HFiles, p.SysoFiles} {
			for _, f := range list {
				files = append(files, path.Join(rel, f))
			}
		}
		embedded, err := embedFiles(pkgDir, p.EmbedPatterns)
		if err != nil {
			return fmt.Errorf("package %s: %w", importPath, err)
		}
		for _, f := range embedded {
			files = append(files, path.Join(rel, f))
		}
		for _, imp := range p.Imports {
			if imp == ModulePath || strings.HasPrefix(imp, ModulePath+"/") {
				if err := visit(imp); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := visit(pkg); err != nil {
		return nil, err
	}
	sort.Strings(files)
	return files, nil
}

// embedFiles resolves //go:embed patterns of the package in dir to files (relative
// to dir, slash-separated). A directory pattern stands for the files under it.
func embedFiles(dir string, patterns []string) ([]string, error) {
	var out []string
	for _, pat := range patterns {
		pat = strings.TrimPrefix(pat, "all:")
		matches, err := filepath.Glob(filepath.Join(dir, filepath.FromSlash(pat)))
		if err != nil || len(matches) == 0 {
			return nil, fmt.Errorf("go:embed pattern %q matches no file", pat)
		}
		for _, m := range matches {
			err := filepath.WalkDir(m, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				rel, err := filepath.Rel(dir, p)
				out = append(out, filepath.ToSlash(rel))
				return err
			})
			if err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// Locate returns the library's module root: the directory this package was compiled
// from (a checkout, a `replace` target or the module cache), or, when the binary was
// built with -trimpath, what `go list -m` reports in the current directory's module.
func Locate() (string, error) {
	var tried []string
	if _, file, _, ok := runtime.Caller(0); ok {
		dir := filepath.Join(filepath.Dir(file), "..", "..")
		if err := isLibraryRoot(dir); err == nil {
			return filepath.Clean(dir), nil
		} else {
			tried = append(tried, fmt.Sprintf("the directory it was compiled from: %v", err))
		}
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		tried = append(tried, "`go list -m "+ModulePath+"`: `go` is not on PATH")
		return "", locateError(tried)
	}
	cmd := exec.Command(goBin, "list", "-mod=readonly", "-m", "-f", "{{.Dir}}", ModulePath)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	dir := strings.TrimSpace(string(out))
	switch {
	case err != nil:
		tried = append(tried, fmt.Sprintf("`go list -m %s` in %s: %v: %s", ModulePath, cwd(), err, strings.TrimSpace(stderr.String())))
	case dir == "":
		tried = append(tried, fmt.Sprintf("`go list -m %s` in %s: the module is not in the module cache", ModulePath, cwd()))
	default:
		if err := isLibraryRoot(dir); err != nil {
			tried = append(tried, fmt.Sprintf("`go list -m %s` in %s: %v", ModulePath, cwd(), err))
		} else {
			return dir, nil
		}
	}
	return "", locateError(tried)
}

func locateError(tried []string) error {
	return fmt.Errorf("cannot find the source of %s, which the provider Lambda is built from:\n  %s\n"+
		"Run `cdk synth` in the directory of your CDK app's Go module (cdk.json's \"app\": \"go run .\"), "+
		"and run `go mod download %s` there if the module cache lacks it",
		ModulePath, strings.Join(tried, "\n  "), ModulePath)
}

func cwd() string {
	d, err := os.Getwd()
	if err != nil {
		return "the current directory"
	}
	return d
}

// isLibraryRoot checks that dir is this library's module root with the Lambda's source.
func isLibraryRoot(dir string) error {
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return fmt.Errorf("no go.mod in %s", dir)
	}
	if !bytes.Contains(gomod, []byte("module "+ModulePath+"\n")) {
		return fmt.Errorf("%s/go.mod is not the module %s", dir, ModulePath)
	}
	if _, err := os.Stat(filepath.Join(dir, "constructs", "provider", "lambda", "main.go")); err != nil {
		return fmt.Errorf("%s has no constructs/provider/lambda/main.go", dir)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.sum")); err != nil {
		return fmt.Errorf("%s has no go.sum", dir)
	}
	return nil
}

// Run builds the Lambda into outDir/bootstrap. Its errors say what went wrong and what
// to run.
func (b *Build) Run(outDir string) error {
	goBin, err := exec.LookPath("go")
	if err != nil || b.GoVersion == "" {
		return &Error{Kind: NoGo, Msg: fmt.Sprintf("building the DataSync provider Lambda needs the Go toolchain, and `go` is not on PATH "+
			"(PATH=%s). Install Go %s or newer (https://go.dev/dl/), put its bin directory on PATH "+
			"(e.g. export PATH=$PATH:/usr/local/go/bin) and run `cdk synth` again", os.Getenv("PATH"), b.GoMin)}
	}
	cmd := exec.Command(goBin, argsFor(pkgOf(b), outDir)...)
	cmd.Dir, cmd.Env = b.Dir, Env()
	out, err := cmd.CombinedOutput()
	if err == nil {
		return nil
	}
	return classify(b, err, strings.TrimSpace(string(out)))
}

// Kind tells why a build failed.
type Kind int

const (
	// Failed is any other failure; the message carries the go command's output.
	Failed Kind = iota
	// NoGo: the go command is not on PATH.
	NoGo
	// Offline: modules are missing from the module cache and GOPROXY=off.
	Offline
	// Network: modules are missing and could not be downloaded.
	Network
	// NotWritable: the module cache or build cache cannot be written.
	NotWritable
	// OldGo: the toolchain is older than the library's go.mod needs.
	OldGo
)

// Error is a failed build with the message a user acts on.
type Error struct {
	Kind Kind
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

var (
	offlineMarks  = []string{"GOPROXY=off"}
	networkMarks  = []string{"dial tcp", "no such host", "connection refused", "i/o timeout", "network is unreachable", "TLS handshake timeout", "proxyconnect", "Client.Timeout", "connection reset"}
	readOnlyMarks = []string{"permission denied", "read-only file system"}
	oldGoMarks    = []string{"requires go >=", "toolchain not available"}
)

func containsAny(s string, marks []string) bool {
	for _, m := range marks {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

func classify(b *Build, err error, out string) error {
	head := fmt.Sprintf("building the DataSync provider Lambda (%s) with `go build` in %s failed: %v\n%s\n", pkgOf(b), b.Dir, err, excerpt(out))
	download := fmt.Sprintf("  GOWORK=off go -C %s mod download\n", shellQuote(b.Dir))
	why := "The Lambda is built from the library's own go.mod and go.sum, not your module's: `go mod tidy` or " +
		"`go mod download` in your module fetches these modules only where your module selects the same versions."
	gomodcache := goEnv(b.Dir, "GOMODCACHE")
	switch {
	case containsAny(out, oldGoMarks):
		return &Error{Kind: OldGo, Msg: head + fmt.Sprintf("The library needs Go %s or newer: install it (https://go.dev/dl/) "+
			"or let Go fetch it (GOTOOLCHAIN=auto, the default), then run `cdk synth` again.", b.GoMin)}
	case containsAny(out, offlineMarks):
		return &Error{Kind: Offline, Msg: head + fmt.Sprintf("Go modules the Lambda needs are not in the module cache (%s), and GOPROXY=off forbids downloading them. "+
			"Run once, with GOPROXY unset or set to a module proxy you can reach:\n%s%s", gomodcache, download, why)}
	case containsAny(out, networkMarks):
		return &Error{Kind: Network, Msg: head + fmt.Sprintf("Go modules the Lambda needs are not in the module cache (%s) and could not be downloaded "+
			"(GOPROXY=%s): the module proxy is not reachable. Run once where it is, or with GOPROXY set to a proxy that is:\n%s%s",
			gomodcache, goEnv(b.Dir, "GOPROXY"), download, why)}
	case containsAny(out, readOnlyMarks):
		return &Error{Kind: NotWritable, Msg: head + fmt.Sprintf("The go command could not write to its module cache (GOMODCACHE=%s) or build cache (GOCACHE=%s). "+
			"The library's own directory may be read-only (in the module cache it is); the caches must be writable by the user running `cdk synth`: "+
			"set GOMODCACHE and GOCACHE to writable directories, or run once as the caches' owner:\n%s", gomodcache, goEnv(b.Dir, "GOCACHE"), download)}
	}
	return &Error{Kind: Failed, Msg: head + "The library's sources in " + b.Dir + " do not build for linux/arm64: " +
		"check that they are an unmodified copy of the module (`go mod verify` in your module checks the module cache)."}
}

// excerpt is the go command's output without its progress lines, indented, at most
// 12 lines.
func excerpt(out string) string {
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if l != "" && !strings.HasPrefix(l, "go: downloading ") {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return "    (no output)"
	}
	if n := len(lines); n > 12 {
		lines = append(lines[:12], fmt.Sprintf("(%d more lines)", n-12))
	}
	return "    " + strings.Join(lines, "\n    ")
}

// goEnv returns `go env key` as the build sees it, or "unknown".
func goEnv(dir, key string) string {
	cmd := exec.Command("go", "env", key)
	cmd.Dir, cmd.Env = dir, Env()
	out, err := cmd.Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r == '@' || r == '+' || r == ':' ||
			(r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9'))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// pkgOf is the package a build builds.
func pkgOf(b *Build) string {
	if b.Package == "" {
		return MainPackage
	}
	return b.Package
}
