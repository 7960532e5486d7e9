package transfer_test

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/pipelines"
	"github.com/aws/jsii-runtime-go"

	"github.com/s3transfer/cdk-datasync/constructs/spec"
	"github.com/s3transfer/cdk-datasync/constructs/transfer"
)

// mediaArchive is the transfer the examples set up.
func mediaArchive() spec.Transfer {
	return spec.Transfer{
		Name:        "media-archive",
		Source:      spec.Source{Account: "111111111111", Region: "us-east-1", Bucket: "acme-media-src"},
		Destination: spec.Destination{Account: "222222222222", Region: "us-west-2", Bucket: "acme-media-dst"},
	}
}

// The destination side added to a stack that already defines the destination bucket:
// its ACLs are disabled and the transfer's statements join the bucket's own policy.
func ExampleNewDestinationAccess_ownedBucket() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("DataLake"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String("us-west-2")},
	})
	bucket := awss3.NewBucket(stack, jsii.String("Landing"), &awss3.BucketProps{
		BucketName: jsii.String("acme-media-dst"), // must be the transfer's destination.bucket
		EnforceSSL: jsii.Bool(true),
	})

	t := mediaArchive()
	transfer.NewDestinationAccess(stack, "MediaArchiveAccess", &transfer.DestinationAccessProps{
		Transfer: &t,
		Bucket:   bucket,
	})
	app.Synth(nil)
}

// The destination side added to a stack that knows an existing bucket only by name:
// the provider disables ACLs and merges the statements into the bucket's policy,
// keeping every statement that is not the transfer's.
func ExampleNewDestinationAccess_bucketByName() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("SharedBuckets"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String("us-west-2")},
	})
	bucket := awss3.Bucket_FromBucketName(stack, jsii.String("Landing"), jsii.String("acme-media-dst"))

	t := mediaArchive()
	transfer.NewDestinationAccess(stack, "MediaArchiveAccess", &transfer.DestinationAccessProps{
		Transfer: &t,
		Bucket:   bucket,
	})
	app.Synth(nil)
}

// The destination side of several transfers into one bucket: one construct holds them
// all, since one resource must own this project's statements in the bucket's policy.
// Each source account's role may write only under its transfer's prefix.
func ExampleNewDestinationAccess_severalTransfers() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("SharedBuckets"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("222222222222"), Region: jsii.String("us-west-2")},
	})

	photos, videos := mediaArchive(), mediaArchive()
	photos.Destination.Prefix = "photos"
	videos.Name, videos.Source.Account, videos.Source.Bucket = "video-archive", "333333333333", "acme-video-src"
	videos.Destination.Prefix = "videos"
	transfer.NewDestinationAccess(stack, "MediaDstAccess", &transfer.DestinationAccessProps{
		Transfers: []spec.Transfer{photos, videos},
	})
	app.Synth(nil)
}

// The source side added to an existing stack in another Region than the destination:
// the task and the destination location are still created in us-west-2. ENHANCED
// tasks log to /aws/datasync by themselves; BASIC-mode logging, notifications
// and monitoring need native resources in the task's Region, so for them the construct stops with
// an error that says so (use NewSourceStack, or a stack in the destination Region).
func ExampleNewSourceTransfer_otherRegion() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("PlatformEu"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-central-1")},
	})

	t := mediaArchive()
	t.Monitoring.Enabled = jsii.Bool(false) // its rules would have to be in us-west-2
	src := transfer.NewSourceTransfer(stack, "MediaArchive", &transfer.SourceTransferProps{Transfer: &t})
	awscdk.NewCfnOutput(stack, jsii.String("MediaArchiveTask"), &awscdk.CfnOutputProps{Value: src.TaskArn()})
	app.Synth(nil)
}

// Both stacks of a transfer as a stage of your own CDK pipeline: the pipeline deploys
// the destination stack, then the source stack, each into its own account.
func ExampleNewTransferStage() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Delivery"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("999999999999"), Region: jsii.String("eu-west-1")},
	})
	pipeline := pipelines.NewCodePipeline(stack, jsii.String("Pipeline"), &pipelines.CodePipelineProps{
		CrossAccountKeys: jsii.Bool(true),
		Synth: pipelines.NewShellStep(jsii.String("Synth"), &pipelines.ShellStepProps{
			Input: pipelines.CodePipelineSource_Connection(jsii.String("acme/platform"), jsii.String("main"),
				&pipelines.ConnectionSourceOptions{ConnectionArn: jsii.String(
					"arn:aws:codeconnections:eu-west-1:999999999999:connection/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")}),
			Commands: jsii.Strings("make synth"),
		}),
	})

	t := mediaArchive()
	pipeline.AddStage(transfer.NewTransferStage(app, "MediaArchive", &transfer.TransferStageProps{Transfer: &t}), nil)
	app.Synth(nil)
}

// Every stack of many transfers in your own CDK pipeline: one wave deploys every
// destination stack, a later wave every source stack (25 stacks a wave, inside
// CodePipeline's 50 actions per stage).
func ExampleAddToPipeline() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Delivery"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("999999999999"), Region: jsii.String("eu-west-1")},
	})
	pipeline := pipelines.NewCodePipeline(stack, jsii.String("Pipeline"), &pipelines.CodePipelineProps{
		CrossAccountKeys: jsii.Bool(true),
		Synth: pipelines.NewShellStep(jsii.String("Synth"), &pipelines.ShellStepProps{
			Input: pipelines.CodePipelineSource_Connection(jsii.String("acme/platform"), jsii.String("main"),
				&pipelines.ConnectionSourceOptions{ConnectionArn: jsii.String(
					"arn:aws:codeconnections:eu-west-1:999999999999:connection/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")}),
			Commands: jsii.Strings("make synth"),
		}),
	})

	photos, videos := mediaArchive(), mediaArchive()
	photos.Destination.Prefix = "photos"
	videos.Name, videos.Source.Account, videos.Source.Bucket = "video-archive", "333333333333", "acme-video-src"
	videos.Destination.Prefix = "videos"
	transfer.AddToPipeline(pipeline, app, []spec.Transfer{photos, videos})
	app.Synth(nil)
}

// Monitoring as construct props: the notifier of the source side also publishes to
// a topic the platform team already has, runs count as stalled after 45 minutes
// without progress, and the transfer gets a dashboard of its own besides the one
// dashboard of its source account and Region.
func ExampleNewSourceTransfer_monitoring() {
	app := awscdk.NewApp(nil)
	t := mediaArchive()
	t.Monitoring = spec.Monitoring{StallMinutes: 45, Dashboard: spec.DashboardTransfer}
	// The source stack is in account 111111111111, us-west-2 (the destination Region),
	// like the team's topic.
	stack := awscdk.NewStack(app, jsii.String("MediaArchiveSource"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("us-west-2")},
	})
	onCall := awssns.Topic_FromTopicArn(stack, jsii.String("OnCall"), jsii.String("arn:aws:sns:us-west-2:111111111111:platform-on-call"))
	src := transfer.NewSourceTransfer(stack, "MediaArchive", &transfer.SourceTransferProps{
		Transfer:           &t,
		NotificationTopics: []awssns.ITopic{onCall},
	})
	awscdk.NewCfnOutput(stack, jsii.String("Notifier"), &awscdk.CfnOutputProps{Value: src.NotifierFunction().FunctionName()})
	// The dashboard of every transfer of account 111111111111 in us-west-2.
	transfer.NewMonitoringStack(app, "Dashboards", &transfer.MonitoringStackProps{Transfers: []spec.Transfer{t}})
	app.Synth(nil)
}
