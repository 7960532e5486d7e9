package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/datasync"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// Backoff is a capped exponential backoff for errors that IAM's eventual consistency
// causes: a role created seconds ago that DataSync cannot assume yet, a policy that
// has not reached S3 yet.
type Backoff struct {
	Initial time.Duration // first wait
	Max     time.Duration // cap of one wait
	Budget  time.Duration // total time spent retrying before giving up
	// Sleep waits d or until ctx ends; nil means a real timer.
	Sleep func(ctx context.Context, d time.Duration) error
}

// DefaultBackoff retries for up to five minutes, waiting 2 s, 4 s, 8 s ... 30 s.
var DefaultBackoff = Backoff{Initial: 2 * time.Second, Max: 30 * time.Second, Budget: 5 * time.Minute}

func (b Backoff) sleep(ctx context.Context, d time.Duration) error {
	if b.Sleep != nil {
		return b.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// ThrottleRetryer is the retryer of the provider's AWS clients. An account with
// thousands of tasks, or many stacks deploying at once, meets DataSync's request
// rate limits (ThrottlingException); the SDK's default gives up after 3 attempts and
// once its retry quota (a token bucket shared by the client) is spent. This retryer
// is the SDK's adaptive mode (retry.NewAdaptiveMode: exponential backoff with jitter
// capped at maxBackoff, and a client-side send rate that drops while throttled) with
// no attempt cap (retry.AddWithMaxAttempts with 0: no limit) and no retry quota
// (ratelimit.None), so a call is retried for as long as its context allows: the
// Lambda deadline less Function.Margin, after which the provider still answers.
func ThrottleRetryer(maxBackoff time.Duration) aws.Retryer {
	adaptive := retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
		o.StandardOptions = append(o.StandardOptions, func(s *retry.StandardOptions) {
			s.MaxBackoff = maxBackoff
			s.RateLimiter = ratelimit.None
		})
	})
	return retry.AddWithMaxAttempts(adaptive, 0)
}

// errBudget ends a backoff loop whose budget is spent.
var errBudget = errors.New("retry budget spent")

// loop calls attempt until it reports done, waiting between calls with capped
// exponential backoff. It returns the attempts made, the time spent waiting, and
// errBudget or the context's error when it stopped before attempt was done.
func (b Backoff) loop(ctx context.Context, attempt func() (done bool)) (attempts int, spent time.Duration, err error) {
	wait := b.Initial
	for attempts = 1; !attempt(); attempts++ {
		if spent+wait > b.Budget {
			return attempts, spent, errBudget
		}
		if err := b.sleep(ctx, wait); err != nil {
			return attempts, spent, err
		}
		spent += wait
		wait = min(2*wait, b.Max)
	}
	return attempts, spent, nil
}

// retryIAM calls op until it succeeds, fails with an error that is not an IAM
// propagation error, or the budget (or ctx) runs out. The last error is returned with
// the number of attempts, so the CloudFormation reason shows the AWS error text.
func retryIAM[T any](ctx context.Context, b Backoff, what string, op func() (T, error)) (T, error) {
	var out T
	var opErr error
	attempts, spent, err := b.loop(ctx, func() bool {
		out, opErr = op()
		return opErr == nil || !isIAMPropagation(opErr)
	})
	switch {
	case err == errBudget:
		return out, fmt.Errorf("%s: still failing after %d attempts over %s, longer than IAM takes to propagate: %w", what, attempts, spent, opErr)
	case err != nil:
		return out, fmt.Errorf("%s: gave up after %d attempts (%v): %w", what, attempts, err, opErr)
	}
	return out, opErr
}

// awsErrorOf returns the AWS error code and lower-cased message of err ("" when err
// is not an AWS API error).
func awsErrorOf(err error) (code, msg string) {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return "", ""
	}
	return apiErr.ErrorCode(), strings.ToLower(apiErr.ErrorMessage())
}

// isIAMPropagation reports whether err is one IAM's eventual consistency explains:
// an implicit deny (a role or policy created seconds ago, a bucket policy naming the
// role that has not reached S3 yet) or DataSync failing its location access test or
// the role assumption for the same reason. Everything else fails at once, in
// particular what waiting cannot heal (see cannotHeal).
func isIAMPropagation(err error) bool {
	if cannotHeal(err) {
		return false
	}
	code, msg := awsErrorOf(err)
	switch code {
	case "AccessDenied", "AccessDeniedException":
		// "User: ... is not authorized to perform: s3:GetBucketPolicy on resource: ...
		// because no identity-based policy allows the s3:GetBucketPolicy action", or
		// S3's bare "Access Denied".
		return true
	case "InvalidRequestException":
		// DataSync's location access test and role assumption, e.g. "DataSync location
		// access test failed: could not perform s3:HeadBucket on bucket acme-dst. Access
		// denied. Ensure bucket access role has s3:ListBucket permission." or "Unable to
		// assume role. Reason: Access denied".
		for _, s := range []string{"access test failed", "assume role", "assumerole", "access denied", "not authorized"} {
			if strings.Contains(msg, s) {
				return true
			}
		}
	}
	return false
}

// cannotHeal reports whether err says something that no amount of waiting changes,
// so that even an error code the backoff would otherwise retry fails at once:
//   - an explicit deny: a service control policy, resource control policy,
//     permissions boundary, session policy, identity- or resource-based policy
//     ("... with an explicit deny in a service control policy: arn:aws:organizations::...");
//   - a bucket that does not exist (S3 NoSuchBucket, or DataSync saying so);
//   - a KMS key that does not exist, is disabled or is pending deletion (KMS's own
//     NotFoundException, DisabledException, KMSInvalidStateException, the same codes
//     with S3's "KMS." prefix, or DataSync saying so).
func cannotHeal(err error) bool {
	code, msg := awsErrorOf(err)
	if strings.Contains(msg, "explicit deny") {
		return true
	}
	switch strings.TrimPrefix(code, "KMS.") {
	case "NoSuchBucket", "NotFoundException", "DisabledException", "KMSInvalidStateException":
		return true
	}
	if code == "InvalidRequestException" {
		bucketGone := strings.Contains(msg, "nosuchbucket") ||
			(strings.Contains(msg, "bucket") && (strings.Contains(msg, "does not exist") || strings.Contains(msg, "not found")))
		keyUnusable := strings.Contains(msg, "kms") &&
			(strings.Contains(msg, "does not exist") || strings.Contains(msg, "not found") ||
				strings.Contains(msg, "is disabled") || strings.Contains(msg, "pending deletion"))
		return bucketGone || keyUnusable
	}
	return false
}

// isNotFound reports whether err says the thing to delete is already gone.
func isNotFound(err error) bool {
	switch code, msg := awsErrorOf(err); code {
	case "NoSuchBucket", "NoSuchBucketPolicy", "ResourceNotFoundException", "NotFound":
		return true
	case "InvalidRequestException":
		return strings.Contains(msg, "not found") || strings.Contains(msg, "does not exist")
	}
	return false
}

func isNoSuchBucketPolicy(err error) bool {
	code, _ := awsErrorOf(err)
	return code == "NoSuchBucketPolicy"
}

// Calls that create something cannot be sent twice safely: DataSync's CreateTask,
// CreateLocationS3 and StartTaskExecution take no client token (datasync-2018-11-09
// API model), so a resend after a connection reset, a timeout or a 5xx whose request
// DataSync had already carried out makes a second object and orphans the first. Such
// a call is retried by the SDK only when throttled (a throttled request was not
// carried out); after any other error createOnce looks for what the call may have
// made (its request's tags) before it creates again.
var createOnlyOnce = func(o *datasync.Options) { o.Retryer = throttlingOnly{o.Retryer} }

// writeOnce sends a bucket-policy write once: a resend after SlowDown or a 5xx,
// seconds later, would write a merge computed from a read that may be stale by then
// (dropping a statement someone wrote meanwhile) or delete a policy someone wrote
// meanwhile. mergeBucketPolicy starts a new round (read, merge, write) instead.
var writeOnce = func(o *s3.Options) { o.RetryMaxAttempts = 1 }

// throttlingOnly is a retryer that retries only throttling errors, with the pacing
// of the retryer it wraps.
type throttlingOnly struct{ aws.Retryer }

func (r throttlingOnly) IsErrorRetryable(err error) bool {
	return isThrottling(err) && r.Retryer.IsErrorRetryable(err)
}

// GetAttemptToken keeps the client-side rate limiting of the adaptive mode.
func (r throttlingOnly) GetAttemptToken(ctx context.Context) (func(error) error, error) {
	if v2, ok := r.Retryer.(aws.RetryerV2); ok {
		return v2.GetAttemptToken(ctx)
	}
	return r.Retryer.GetInitialToken(), nil
}

// isThrottling reports whether err is a throttling error by the SDK's own rules
// (retry.DefaultThrottles: ThrottlingException, SlowDown, ...).
func isThrottling(err error) bool {
	return retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary
}

// mayHaveActed reports whether err leaves open that the service carried out the
// request: an error the SDK's standard retryer would retry (a connection reset or
// other transport error, a 5xx, a request timeout, throttling) other than the end of
// the caller's own context, after which nothing may be tried any more.
func mayHaveActed(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	return retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary
}
