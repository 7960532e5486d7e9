// Package test holds black-box tests of the construct library and the app: they use
// only exported API and synthesized templates.
package test

import (
	"encoding/json"
	"fmt"
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

// tmpl is a synthesized template as plain JSON, for assertions that need to look
// inside properties (policy documents, JSON strings).
type tmpl map[string]any

func toJSON(stack awscdk.Stack) tmpl {
	raw, err := json.Marshal(templateOf(stack).ToJSON())
	if err != nil {
		panic(err)
	}
	var out tmpl
	if err := json.Unmarshal(raw, &out); err != nil {
		panic(err)
	}
	return out
}

// resources returns the resources of a type, by logical ID.
func (t tmpl) resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, r := range t["Resources"].(map[string]any) {
		res := r.(map[string]any)
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

// one returns the properties of the only resource of a type.
func (t tmpl) one(tt *testing.T, typ string) map[string]any {
	tt.Helper()
	rs := t.resources(typ)
	if len(rs) != 1 {
		tt.Fatalf("want exactly one %s, got %d", typ, len(rs))
	}
	for _, r := range rs {
		props, _ := r["Properties"].(map[string]any)
		return props
	}
	return nil
}

// function returns the properties of the Lambda function named name.
func (t tmpl) function(tt *testing.T, name string) map[string]any {
	tt.Helper()
	for _, r := range t.resources("AWS::Lambda::Function") {
		props, _ := r["Properties"].(map[string]any)
		if props["FunctionName"] == name {
			return props
		}
	}
	tt.Fatalf("no function named %s", name)
	return nil
}

// policyStatements returns every statement of every identity policy: the
// AWS::IAM::Policy resources and the roles' inline policies.
func (t tmpl) policyStatements() []map[string]any {
	var docs []any
	for _, r := range t.resources("AWS::IAM::Policy") {
		docs = append(docs, r["Properties"].(map[string]any)["PolicyDocument"])
	}
	for _, r := range t.resources("AWS::IAM::Role") {
		policies, _ := r["Properties"].(map[string]any)["Policies"].([]any)
		for _, p := range policies {
			docs = append(docs, p.(map[string]any)["PolicyDocument"])
		}
	}
	var out []map[string]any
	for _, doc := range docs {
		for _, s := range doc.(map[string]any)["Statement"].([]any) {
			out = append(out, s.(map[string]any))
		}
	}
	return out
}

// strs reads a policy element that may be a string or a list of strings.
func strs(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// grants returns the resources of statements that allow action.
func (t tmpl) grants(action string) []string {
	var out []string
	for _, s := range t.policyStatements() {
		if s["Effect"] == "Allow" && contains(strs(s["Action"]), action) {
			out = append(out, strs(s["Resource"])...)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// expectPanic runs f and returns the panic message, failing when f does not panic.
func expectPanic(t *testing.T, f func()) (msg string) {
	t.Helper()
	defer func() {
		r := recover()
		if r == nil {
			t.Fatal("want a panic, got none")
		}
		msg = fmt.Sprint(r)
	}()
	f()
	return ""
}
