package test

import (
	"bytes"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// providerRuntime reports whether a package is part of what only the provider Lambda
// runs: the AWS SDK for Go v2 (its clients, their types and the SDK's core), smithy-go
// under it, and aws-lambda-go.
func providerRuntime(pkg string) bool {
	for _, prefix := range []string{"github.com/aws/aws-sdk-go-v2", "github.com/aws/smithy-go", "github.com/aws/aws-lambda-go"} {
		if pkg == prefix || strings.HasPrefix(pkg, prefix+"/") {
			return true
		}
	}
	return false
}

// importGraph is `go list -deps` of pkg (as a CDK app builds it: this platform, no
// tags, no tests): every package it compiles, each with its imports.
func importGraph(t *testing.T, pkg string) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, pkg)
	cmd.Dir = repoRoot(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v\n%s", pkg, err, stderr.String())
	}
	graph := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		graph[f[0]] = f[1:]
	}
	return graph
}

// importChain is the shortest chain of imports from root to target.
func importChain(graph map[string][]string, root, target string) []string {
	from := map[string]string{root: ""}
	for queue := []string{root}; len(queue) > 0; queue = queue[1:] {
		p := queue[0]
		if p == target {
			var chain []string
			for ; p != ""; p = from[p] {
				chain = append([]string{p}, chain...)
			}
			return chain
		}
		for _, imp := range graph[p] {
			if _, seen := from[imp]; !seen {
				from[imp] = p
				queue = append(queue, imp)
			}
		}
	}
	return nil
}

// TestConstructsCompileNoProviderRuntime: a CDK app that embeds the constructs
// compiles the constructs, the transfer spec and what they share with the provider
// (package resource), and none of the provider's runtime: no AWS SDK client or SDK
// package at all, no aws-lambda-go. The Lambda is built on its own, from the library's
// module, at synth time.
func TestConstructsCompileNoProviderRuntime(t *testing.T) {
	const module = "github.com/s3transfer/cdk-datasync/"
	// The check itself: the provider, which the Lambda runs, has them.
	provider := importGraph(t, module+"constructs/provider/lambda")
	for _, want := range []string{"github.com/aws/aws-sdk-go-v2/service/datasync", "github.com/aws/aws-lambda-go/cfn", module + "constructs/provider/resource"} {
		if _, ok := provider[want]; !ok {
			t.Fatalf("the provider Lambda does not compile %s: the check below would prove nothing", want)
		}
	}
	for _, pkg := range []string{"constructs/transfer", "constructs/spec", "constructs/provider/resource"} {
		graph := importGraph(t, module+pkg)
		var runtime []string
		for p := range graph {
			if providerRuntime(p) {
				runtime = append(runtime, p)
			}
		}
		slices.Sort(runtime)
		if len(runtime) > 0 {
			t.Errorf("%s compiles %d packages of the provider's runtime, which an app that embeds the constructs never runs, e.g. %s, imported by the chain\n  %s\n"+
				"Split what the constructs need of a Lambda (resource types, property shapes, action tables, environment names) into a package "+
				"that imports neither the AWS SDK nor aws-lambda-go, as constructs/provider/resource is for the provider. All of them:\n  %s",
				pkg, len(runtime), runtime[0], strings.Join(importChain(graph, module+pkg, runtime[0]), "\n  -> "), strings.Join(runtime, "\n  "))
		}
		t.Logf("%s: %d packages, none of the provider's runtime", pkg, len(graph))
	}
}
