// Package transfer holds the CDK constructs that set up cross-account S3-to-S3 AWS
// DataSync transfers, as the AWS tutorial "Transferring data from Amazon S3 to Amazon
// S3 across AWS accounts" does by hand:
//
//   - DestinationAccess, in the destination account: ACLs disabled on one destination
//     bucket and this project's bucket-policy statements for every transfer into it
//     (or the bucket itself, created and retained), owned by one resource;
//   - SourceTransfer, in the source account: the DataSync bucket-access role, the
//     location-admin role, both DataSync locations and the task (each in the Region
//     where it must live), logging, notifications;
//   - DestinationStack, SourceStack, NewStacks and NewTransferStacks, which place them
//     as the app does (a <bucket>-destination stack per destination bucket, a
//     <name>-source stack per transfer in the destination Region, source after
//     destination);
//   - TransferStage and AddToPipeline, for CDK Pipelines.
//
// Every construct takes spec.Transfer values, validated when the construct is created.
package transfer

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

// validated returns the transfer with defaults applied, or panics with every problem
// (the way CDK constructs report invalid props).
func validated(t *spec.Transfer) spec.Transfer {
	if t == nil {
		panic("transfer: Transfer is required")
	}
	if err := t.Validate(); err != nil {
		panic(fmt.Sprintf("transfer %q is invalid:\n%v", t.Name, err))
	}
	return t.WithDefaults()
}

// validatedSet checks transfers deployed together, each on its own and as a set
// (spec.ValidateSet), and panics with every problem. A single transfer's problems
// keep their plain field paths; several are reported as transfers[i].<field>.
func validatedSet(ts []spec.Transfer) {
	var all spec.Errors
	for i, t := range ts {
		var errs spec.Errors
		if errors.As(t.Validate(), &errs) {
			if len(ts) > 1 {
				errs = errs.Prefixed(fmt.Sprintf("transfers[%d]", i))
			}
			all = append(all, errs...)
		}
	}
	if len(all) == 0 {
		var errs spec.Errors
		if errors.As(spec.ValidateSet(ts), &errs) {
			all = errs
		}
	}
	if len(all) > 0 {
		what := fmt.Sprintf("transfer %q is", ts[0].Name)
		if len(ts) > 1 {
			what = fmt.Sprintf("the %d transfers are", len(ts))
		}
		panic(fmt.Sprintf("%s invalid:\n%v", what, all))
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// suppress records a cdk-nag suppression on one construct (and its children), with
// the reason a reviewer reads. appliesTo narrows it to specific findings.
func suppress(c constructs.IConstruct, rule, reason string, appliesTo ...string) {
	s := &cdknag.NagPackSuppression{Id: jsii.String(rule), Reason: jsii.String(reason)}
	if len(appliesTo) > 0 {
		list := make([]interface{}, len(appliesTo))
		for i, a := range appliesTo {
			list[i] = a
		}
		s.AppliesTo = &list
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &[]*cdknag.NagPackSuppression{s}, jsii.Bool(true))
}

// stackRegionIs reports whether the stack of scope is pinned to region.
func stackRegionIs(scope constructs.Construct, region string) bool {
	r := awscdk.Stack_Of(scope).Region()
	return r != nil && !*awscdk.Token_IsUnresolved(r) && *r == region
}
