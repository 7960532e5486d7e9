package transfer

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/jsii-runtime-go"

	"github.com/s3transfer/cdk-datasync/internal/lambdabuild"
)

// goBundler builds a Lambda of the library (the provider or the notifier) with the local Go toolchain in the library's
// own module directory (see internal/lambdabuild): Linux, arm64, static (CGO off),
// stripped, reproducible, named bootstrap as the provided.al2023 runtime expects. No
// Docker is involved.
type goBundler struct {
	pkg string // the main package it builds, for jsii (which needs a non-empty struct)
}

// TryBundle implements awscdk.ILocalBundling. CDK calls it only when cdk.out has no
// asset of the build's hash yet.
func (g *goBundler) TryBundle(outputDir *string, _ *awscdk.BundlingOptions) *bool {
	// The plan that named the asset: built without a toolchain, it fails as such.
	providerBuildMu.Lock()
	b := buildPlans[g.pkg]
	providerBuildMu.Unlock()
	if err := b.Run(*outputDir); err != nil {
		// A panic here surfaces as the synth error: Docker is never a fallback.
		panic(err.Error())
	}
	return jsii.Bool(true)
}

// bundlers are one object per Lambda for every function of it, so CDK stages each
// asset (and runs go build) at most once per synth.
var bundlers = map[string]awscdk.ILocalBundling{
	lambdabuild.MainPackage:     &goBundler{pkg: lambdabuild.MainPackage},
	lambdabuild.NotifierPackage: &goBundler{pkg: lambdabuild.NotifierPackage},
}

var (
	providerBuildMu sync.Mutex
	buildPlans      = map[string]*lambdabuild.Build{} // by main package
)

// providerBuild locates the library's source and hashes the Lambda's inputs, once
// per process (again while `go` is not found, so that the hash and the build use
// the toolchain that is there when the build runs).
func providerBuild() *lambdabuild.Build { return lambdaBuild(lambdabuild.MainPackage) }

// lambdaBuild is providerBuild for the Lambda whose main package is pkg.
func lambdaBuild(pkg string) *lambdabuild.Build {
	providerBuildMu.Lock()
	defer providerBuildMu.Unlock()
	if b := buildPlans[pkg]; b != nil && b.GoVersion != "" {
		return b
	}
	dir, err := lambdabuild.Locate()
	var b *lambdabuild.Build
	if err == nil {
		b, err = lambdabuild.PlanPackage(dir, pkg)
	}
	if err != nil {
		panic(fmt.Sprintf("preparing the Lambda %s: %v", pkg, err))
	}
	buildPlans[pkg] = b
	return b
}

// providerCode returns the Lambda code of the provider: an asset built at synth time
// by goBundler and named by the hash of the build's inputs (sources, go.mod, go.sum,
// toolchain, flags), so a synth into a cdk.out that already holds it skips the build,
// and the hash does not depend on the CDK app's own go.mod. Identical assets are
// bundled once per synth and stored once in cdk.out.
func providerCode() awslambda.Code { return lambdaCode(lambdabuild.MainPackage) }

// notifierCode is providerCode for the monitoring notifier.
func notifierCode() awslambda.Code { return lambdaCode(lambdabuild.NotifierPackage) }

// lambdaCode is the code asset of the Lambda whose main package is pkg.
func lambdaCode(pkg string) awslambda.Code {
	b := lambdaBuild(pkg)
	rel := strings.TrimPrefix(pkg, lambdabuild.ModulePath+"/")
	return awslambda.Code_FromAsset(jsii.String(filepath.Join(b.Dir, filepath.FromSlash(rel))), &awss3assets.AssetOptions{
		AssetHashType: awscdk.AssetHashType_CUSTOM,
		AssetHash:     jsii.String(b.Hash),
		Bundling: &awscdk.BundlingOptions{
			// Never pulled: local bundling always succeeds or fails the synth.
			Image: awscdk.DockerImage_FromRegistry(jsii.String("local-go-build-only")),
			Local: bundlers[pkg],
		},
	})
}
