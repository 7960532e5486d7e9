package transfer

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/jsii-runtime-go"
)

// providerMainPackage is the import path of the provider's Lambda main package.
const providerMainPackage = "github.com/s3transfer/cdk-datasync/constructs/provider/lambda"

// goBundler builds the provider Lambda with the local Go toolchain: Linux, arm64,
// static (CGO off), stripped, reproducible (-trimpath, no VCS stamp), named
// bootstrap as the provided.al2023 runtime expects. No Docker is involved.
type goBundler struct {
	pkg string // import path of the main package to build
}

// TryBundle implements awscdk.ILocalBundling.
func (b *goBundler) TryBundle(outputDir *string, _ *awscdk.BundlingOptions) *bool {
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-tags", "lambda.norpc",
		"-ldflags", "-s -w", "-o", filepath.Join(*outputDir, "bootstrap"), b.pkg)
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		// A panic here surfaces as the synth error: Docker is never a fallback.
		panic(fmt.Sprintf("building the DataSync provider Lambda (%s) with `go build` failed: %v\n%s\n"+
			"Synthesis needs the Go toolchain on PATH and must run inside a Go module that requires %s.",
			b.pkg, err, strings.TrimSpace(string(out)), "github.com/s3transfer/cdk-datasync"))
	}
	return jsii.Bool(true)
}

// bundler is one object for every function, so CDK stages the asset (and runs go
// build) once per synth. This package imports the provider package, so a module that
// imports it already resolves every dependency the Lambda build needs.
var bundler awscdk.ILocalBundling = &goBundler{pkg: providerMainPackage}

// providerCode returns the Lambda code of the provider: an asset built at synth time
// by goBundler and hashed by its output, so the hash changes exactly when the binary
// does. Identical assets are bundled once per synth and stored once in cdk.out.
func providerCode() awslambda.Code {
	return awslambda.Code_FromAsset(jsii.String(providerSourceDir()), &awss3assets.AssetOptions{
		AssetHashType: awscdk.AssetHashType_OUTPUT,
		Bundling: &awscdk.BundlingOptions{
			// Never pulled: local bundling always succeeds or fails the synth.
			Image: awscdk.DockerImage_FromRegistry(jsii.String("local-go-build-only")),
			Local: bundler,
		},
	})
}

// providerSourceDir is the directory of the provider package's source, the asset's
// source path (the bundler builds by import path, from the current module).
func providerSourceDir() string {
	_, file, _, ok := runtime.Caller(0)
	if ok {
		dir := filepath.Join(filepath.Dir(file), "..", "provider")
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			return dir
		}
	}
	out, err := exec.Command("go", "list", "-f", "{{.Dir}}", providerMainPackage).Output()
	if err != nil {
		panic(fmt.Sprintf("cannot find the provider's source directory: %v", err))
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}
