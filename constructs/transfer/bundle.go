package transfer

import (
	"fmt"
	"path/filepath"
	"sync"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/jsii-runtime-go"

	"github.com/s3transfer/cdk-datasync/internal/lambdabuild"
)

// goBundler builds the provider Lambda with the local Go toolchain in the library's
// own module directory (see internal/lambdabuild): Linux, arm64, static (CGO off),
// stripped, reproducible, named bootstrap as the provided.al2023 runtime expects. No
// Docker is involved.
type goBundler struct {
	pkg string // the main package it builds, for jsii (which needs a non-empty struct)
}

// TryBundle implements awscdk.ILocalBundling. CDK calls it only when cdk.out has no
// asset of the build's hash yet.
func (*goBundler) TryBundle(outputDir *string, _ *awscdk.BundlingOptions) *bool {
	// The plan that named the asset: built without a toolchain, it fails as such.
	providerBuildMu.Lock()
	b := providerBuildPlan
	providerBuildMu.Unlock()
	if err := b.Run(*outputDir); err != nil {
		// A panic here surfaces as the synth error: Docker is never a fallback.
		panic(err.Error())
	}
	return jsii.Bool(true)
}

// bundler is one object for every function, so CDK stages the asset (and runs go
// build) at most once per synth.
var bundler awscdk.ILocalBundling = &goBundler{pkg: lambdabuild.MainPackage}

var (
	providerBuildMu   sync.Mutex
	providerBuildPlan *lambdabuild.Build
)

// providerBuild locates the library's source and hashes the Lambda's inputs, once
// per process (again while `go` is not found, so that the hash and the build use
// the toolchain that is there when the build runs).
func providerBuild() *lambdabuild.Build {
	providerBuildMu.Lock()
	defer providerBuildMu.Unlock()
	if providerBuildPlan != nil && providerBuildPlan.GoVersion != "" {
		return providerBuildPlan
	}
	dir, err := lambdabuild.Locate()
	if err == nil {
		providerBuildPlan, err = lambdabuild.Plan(dir)
	}
	if err != nil {
		panic(fmt.Sprintf("preparing the DataSync provider Lambda: %v", err))
	}
	return providerBuildPlan
}

// providerCode returns the Lambda code of the provider: an asset built at synth time
// by goBundler and named by the hash of the build's inputs (sources, go.mod, go.sum,
// toolchain, flags), so a synth into a cdk.out that already holds it skips the build,
// and the hash does not depend on the CDK app's own go.mod. Identical assets are
// bundled once per synth and stored once in cdk.out.
func providerCode() awslambda.Code {
	b := providerBuild()
	return awslambda.Code_FromAsset(jsii.String(filepath.Join(b.Dir, "constructs", "provider", "lambda")), &awss3assets.AssetOptions{
		AssetHashType: awscdk.AssetHashType_CUSTOM,
		AssetHash:     jsii.String(b.Hash),
		Bundling: &awscdk.BundlingOptions{
			// Never pulled: local bundling always succeeds or fails the synth.
			Image: awscdk.DockerImage_FromRegistry(jsii.String("local-go-build-only")),
			Local: bundler,
		},
	})
}
