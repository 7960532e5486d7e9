package operate

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3 is an S3 client for the buckets of account in region. Every account gets the
// session's credentials (one credential chain); the SDK's endpoint settings apply
// (AWS_ENDPOINT_URL_S3 points every S3 call at a stand-in).
func (s *Session) S3(_ context.Context, account, region string) (*s3.Client, error) {
	return s3.NewFromConfig(s.cfg, func(o *s3.Options) { o.Region = region }), nil
}
