//go:build cdkdatasync_lambda_modules

// This file is never compiled (no build sets its tag). `go mod tidy` considers every
// build tag, so in a CDK app's module that imports the constructs (which import this
// package) it records and downloads the modules of the provider Lambda's main package
// too. The Lambda is still built from the library's own go.mod and go.sum; this only
// fills the module cache, so that a synth after `go mod tidy` or `go mod download` needs
// no network when the app's module selects the same versions as the library.
// TestLambdaModulesAreNamed keeps this list complete.

package lambdabuild

import (
	_ "github.com/aws/aws-lambda-go/lambda"
	_ "github.com/aws/aws-sdk-go-v2/config"
	_ "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	_ "github.com/aws/aws-sdk-go-v2/service/datasync"
	_ "github.com/aws/aws-sdk-go-v2/service/s3"
)
