// Command lambda is the custom-resource provider's Lambda function (runtime
// provided.al2023, arm64). The transfer constructs build it with `go build` at synth
// time into an executable named bootstrap.
package main

import (
	"context"
	"log"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/datasync"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3transfer/cdk-datasync/constructs/provider"
)

func main() {
	// Throttling is retried until the deadline, waiting at most 20 s between attempts.
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRetryer(func() aws.Retryer { return provider.ThrottleRetryer(20 * time.Second) }))
	if err != nil {
		log.Fatalf("loading AWS configuration: %v", err)
	}
	h := &provider.Handler{
		DataSync: func(region string) provider.DataSyncAPI {
			return datasync.NewFromConfig(cfg, func(o *datasync.Options) { o.Region = region })
		},
		S3: func(region string) provider.S3API {
			return s3.NewFromConfig(cfg, func(o *s3.Options) { o.Region = region })
		},
		Logs: func(region string) provider.LogsAPI {
			return cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) { o.Region = region })
		},
		Retry:        provider.DefaultBackoff,
		PolicySettle: 3 * time.Second,
	}
	// 3 attempts of at most 5 s with 1 s and 2 s between them fit the 20 s margin.
	f := &provider.Function{Handler: h, Margin: 20 * time.Second, SendAttempts: 3, SendWait: time.Second, SendTimeout: 5 * time.Second}
	lambda.Start(f.Invoke)
}
