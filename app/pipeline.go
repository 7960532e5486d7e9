package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/s3transfer/cdk-datasync/app/config"
)

func newPipelineStack(app awscdk.App, cfg *config.Config) {
	panic("pipeline mode: not built yet")
}
