// Command lambda is a transfer's notifier (runtime provided.al2023, arm64), built by
// the transfer constructs with `go build` at synth time like the provider. It reads
// its transfer from the environment (see monitor.FromEnv) and publishes to the SNS
// topics in TOPIC_ARNS. With WIDGET_TRANSFERS set it is instead the shared
// dashboard's custom widget (monitor.Widget).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/datasync"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/s3transfer/cdk-datasync/constructs/monitor"
	monres "github.com/s3transfer/cdk-datasync/constructs/monitor/resource"
)

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Fatalf("loading AWS configuration: %v", err)
	}
	if list := os.Getenv(monres.EnvWidgetTransfers); list != "" {
		w := &monitor.Widget{DataSync: datasync.NewFromConfig(cfg), Region: cfg.Region, Partition: os.Getenv(monres.EnvPartition)}
		if err := json.Unmarshal([]byte(list), &w.Transfers); err != nil {
			log.Fatalf("%s is not a JSON list of transfers: %v", monres.EnvWidgetTransfers, err)
		}
		lambda.Start(func(ctx context.Context, raw json.RawMessage) (string, error) {
			if !monitor.IsWidgetEvent(raw) {
				return "", fmt.Errorf("not a custom widget invocation: %s", raw)
			}
			return w.Render(ctx, raw)
		})
		return
	}
	c, topics, err := monitor.FromEnv()
	if err != nil {
		log.Fatal(err)
	}
	n := &monitor.Notifier{
		Config:   c,
		DataSync: datasync.NewFromConfig(cfg),
		Publish:  monitor.SNSPublisher(sns.NewFromConfig(cfg), topics),
	}
	lambda.Start(func(ctx context.Context, raw json.RawMessage) error {
		_, err := n.Handle(ctx, raw)
		return err
	})
}
