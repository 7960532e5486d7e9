package operate

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Identity is who made the calls for an account (STS GetCallerIdentity).
type Identity struct {
	// Account is the account the calls were for; Caller* what STS answered.
	Account       string `json:"account"`
	Profile       string `json:"profile,omitempty"`
	CallerArn     string `json:"callerArn"`
	CallerAccount string `json:"callerAccount"`
	UserID        string `json:"userId"`
}

// CallerIdentity asks STS (in region) who account's credentials are.
func (s *Session) CallerIdentity(ctx context.Context, account, region string) (Identity, error) {
	id := Identity{Account: account, Profile: s.Profile(account)}
	cfg, _, err := s.Config(ctx, account)
	if err != nil {
		return id, err
	}
	out, err := sts.NewFromConfig(cfg, func(o *sts.Options) { o.Region = region }).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return id, fmt.Errorf("STS GetCallerIdentity for account %s: %w", account, err)
	}
	id.CallerArn, id.CallerAccount, id.UserID = aws.ToString(out.Arn), aws.ToString(out.Account), aws.ToString(out.UserId)
	return id, nil
}
