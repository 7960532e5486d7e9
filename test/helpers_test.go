// Package test holds black-box tests of the construct library and the app: they use
// only exported API and synthesized templates.
package test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

// cdkContext is the app's cdk.json context (feature flags), so tests synthesize
// exactly as `cdk synth` does.
func cdkContext(t *testing.T) map[string]interface{} {
	t.Helper()
	raw, err := os.ReadFile("../cdk.json")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct{ Context map[string]interface{} }
	if err := json.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg.Context
}

// newApp returns an app that writes to a temporary directory. Bundling the provider
// Lambda is skipped unless bundle is true (one test proves the bundle builds).
func newApp(t *testing.T, bundle bool) awscdk.App {
	t.Helper()
	ctx := cdkContext(t)
	if !bundle {
		ctx["aws:cdk:bundling-stacks"] = []string{}
	}
	return awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir()), Context: &ctx})
}

func templateOf(stack awscdk.Stack) assertions.Template {
	return assertions.Template_FromStack(stack, nil)
}

// crossRegion is the README's example: existing buckets, different accounts and Regions.
func crossRegion() spec.Transfer {
	return spec.Transfer{
		Name:        "media-archive",
		Source:      spec.Source{Account: "111111111111", Region: "us-east-1", Bucket: "acme-media-src", Prefix: "photos"},
		Destination: spec.Destination{Account: "222222222222", Region: "us-west-2", Bucket: "acme-media-dst", Prefix: "archive/photos"},
	}
}

// sameRegion has both buckets in one Region.
func sameRegion() spec.Transfer {
	t := crossRegion()
	t.Name = "logs-consolidation"
	t.Source.Region = "eu-west-1"
	t.Destination.Region = "eu-west-1"
	t.Source.Bucket, t.Destination.Bucket = "acme-logs-src", "acme-logs-dst"
	return t
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
