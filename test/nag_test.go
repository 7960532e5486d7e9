package test

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/s3transfer/cdk-datasync/constructs/spec"
	"github.com/s3transfer/cdk-datasync/constructs/transfer"
)

// TestCdkNagAwsSolutionsFindsNothingUnsuppressed runs the AwsSolutions pack over both
// stacks of transfers that between them use every feature, and fails on any
// unsuppressed error or warning.
func TestCdkNagAwsSolutionsFindsNothingUnsuppressed(t *testing.T) {
	kitchenSink := crossRegion()
	kitchenSink.Name = "everything"
	kitchenSink.Source.KmsKeyArn = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	kitchenSink.Destination.Bucket = "acme-everything-dst"
	kitchenSink.Destination.KmsKeyArn = "arn:aws:kms:us-west-2:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	kitchenSink.Task = spec.Task{
		Includes: []string{"/photos*"}, Excludes: []string{"*.tmp"}, Schedule: "cron(0 3 * * ? *)",
		Report:        &spec.Report{Bucket: "acme-reports", Prefix: "datasync"},
		StartOnDeploy: true,
	}
	kitchenSink.Notifications.Email = "data-ops@example.com"
	kitchenSink.Monitoring.Dashboard = spec.DashboardTransfer

	basicNewBucket := sameRegion()
	basicNewBucket.Destination.CreateBucket, basicNewBucket.Destination.CreateKmsKey = true, true
	basicNewBucket.Task.Mode, basicNewBucket.Task.LogLevel = "BASIC", "TRANSFER"

	// A second transfer into a created bucket: one destination stack for both.
	secondIntoNewBucket := basicNewBucket
	secondIntoNewBucket.Name, secondIntoNewBucket.Destination.Prefix = "more-logs", "more"

	app := newApp(t, false)
	var stacks []awscdk.Stack
	all := transfer.NewStacks(app, []spec.Transfer{crossRegion(), kitchenSink, basicNewBucket, secondIntoNewBucket})
	for _, s := range all.Destinations {
		stacks = append(stacks, s)
	}
	for _, s := range all.Sources {
		stacks = append(stacks, s)
	}
	stacks = append(stacks, all.Monitoring...)
	if len(all.Monitoring) == 0 {
		t.Fatal("no monitoring stack to check")
	}
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	// cdk-nag errors fail synthesis; report that as a test failure (the findings are
	// printed above it).
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("synthesis with cdk-nag failed: %v", r)
			}
		}()
		app.Synth(nil)
	}()

	for _, s := range stacks {
		a := assertions.Annotations_FromStack(s)
		for kind, msgs := range map[string]*[]interface{}{
			"error":   findings(a.FindError, "*"),
			"warning": findings(a.FindWarning, "*"),
		} {
			for _, m := range *msgs {
				t.Errorf("%s: unsuppressed cdk-nag %s: %v", *s.StackName(), kind, m)
			}
		}
	}
}

// findings returns the AwsSolutions messages a FindError/FindWarning call reports.
func findings(find func(*string, interface{}) *[]*cxapi.SynthesisMessage, path string) *[]interface{} {
	out := []interface{}{}
	for _, m := range *find(jsii.String(path), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))) {
		out = append(out, strings.TrimSpace(*m.Id)+" "+toString(m.Entry.Data))
	}
	return &out
}
