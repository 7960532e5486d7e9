package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/datasync"
	dstypes "github.com/aws/aws-sdk-go-v2/service/datasync/types"

	"github.com/s3transfer/cdk-datasync/constructs/provider/resource"
)

// Errors as AWS words them. Explicit and implicit denies follow IAM's
// "User: <arn> is not authorized to perform: <action> on resource: <arn> with an
// explicit deny in a <policy type>" / "because no <policy type> allows the <action>
// action" (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html).
const (
	caller       = "User: arn:aws:sts::111111111111:assumed-role/t-location-admin/provider is not authorized to perform: "
	scpDeny      = caller + `s3:PutBucketPolicy on resource: "arn:aws:s3:::acme-dst" with an explicit deny in a service control policy: arn:aws:organizations::999999999999:policy/o-a1b2c3d4e5/service_control_policy/p-f6g7h8i9`
	boundaryDeny = caller + "datasync:CreateLocationS3 on resource: arn:aws:datasync:us-west-2:111111111111:location/* with an explicit deny in a permissions boundary: arn:aws:iam::111111111111:policy/DeveloperBoundary"
	bucketDeny   = caller + `s3:GetBucketPolicy on resource: "arn:aws:s3:::acme-dst" with an explicit deny in a resource-based policy`
	implicitDeny = caller + "datasync:CreateTask on resource: arn:aws:datasync:us-west-2:111111111111:* because no identity-based policy allows the datasync:CreateTask action"
)

func TestWhatIsRetried(t *testing.T) {
	for _, c := range []struct {
		name  string
		err   error
		retry bool
	}{
		// IAM propagation: retried.
		{"implicit deny", apiError("AccessDeniedException", implicitDeny), true},
		{"S3 bare Access Denied", apiError("AccessDenied", "Access Denied"), true},
		{"location access test", invalidRequest(accessTestFailed), true},
		{"role not assumable yet", invalidRequest("Unable to assume role. Reason: Access denied when calling sts:AssumeRole"), true},
		// Cannot heal: fail at once.
		{"SCP explicit deny", apiError("AccessDenied", scpDeny), false},
		{"permissions boundary explicit deny", apiError("AccessDeniedException", boundaryDeny), false},
		{"bucket policy explicit deny", apiError("AccessDenied", bucketDeny), false},
		{"DataSync explicit deny", &dstypes.InvalidRequestException{Message: aws.String("DataSync location access test failed: could not perform s3:HeadBucket on bucket acme-dst. " + bucketDeny)}, false},
		{"no such bucket", apiError("NoSuchBucket", "The specified bucket does not exist"), false},
		{"DataSync: bucket does not exist", invalidRequest("DataSync location access test failed: could not perform s3:HeadBucket on bucket acme-dst. The specified bucket does not exist."), false},
		{"KMS key does not exist", apiError("NotFoundException", "Key 'arn:aws:kms:us-west-2:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab' does not exist"), false},
		{"KMS key disabled", apiError("DisabledException", "arn:aws:kms:us-west-2:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab is disabled."), false},
		{"KMS key pending deletion", apiError("KMSInvalidStateException", "arn:aws:kms:us-west-2:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab is pending deletion."), false},
		{"S3: KMS key disabled", apiError("KMS.DisabledException", "arn:aws:kms:us-west-2:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab is disabled."), false},
		{"DataSync: KMS key pending deletion", invalidRequest("DataSync location access test failed: the KMS key arn:aws:kms:us-west-2:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab is pending deletion."), false},
		// Neither: other errors fail at once too.
		{"validation", invalidRequest("Invalid SyncOption value. Option: PosixPermissions, Value: PRESERVE invalid for non-POSIX transfer. please use NONE."), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld()
			w.fail["CreateLocationS3"] = []error{c.err}
			res, err := w.handler().Handle(context.Background(), event(cfn.RequestCreate, resource.TypeS3Location, "", dstLocation(), nil))
			calls := w.count("CreateLocationS3")
			if c.retry {
				if err != nil || calls != 2 || len(w.sleeps) != 1 || res.PhysicalID == "" {
					t.Errorf("want one retry then success: err %v, %d calls, waits %v", err, calls, w.sleeps)
				}
				return
			}
			if err == nil || calls != 1 || len(w.sleeps) != 0 {
				t.Errorf("want failure at once: err %v, %d calls, waits %v", err, calls, w.sleeps)
			}
			if _, msg := awsErrorOf(c.err); err != nil && !strings.Contains(strings.ToLower(err.Error()), msg) {
				t.Errorf("the reason lacks the AWS text:\n%v", err)
			}
		})
	}
}

// throttlingDataSync is a DataSync endpoint (JSON 1.1 protocol) that answers
// ThrottlingException to the first throttles requests and an empty task list after.
func throttlingDataSync(t *testing.T, throttles int) (url string, requests *atomic.Int64) {
	requests = &atomic.Int64{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := requests.Add(1)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if throttles < 0 || n <= int64(throttles) {
			w.Header().Set("X-Amzn-ErrorType", "ThrottlingException")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"__type":"ThrottlingException","message":"Rate exceeded"}`)
			return
		}
		fmt.Fprint(w, `{"Tasks":[]}`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, requests
}

func dataSyncClient(url string, retryer aws.Retryer) *datasync.Client {
	return datasync.New(datasync.Options{
		Region: "us-west-2", BaseEndpoint: aws.String(url), Retryer: retryer,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
	})
}

// TestThrottlingIsRetriedUntilTheDeadline drives a real SDK client against an
// endpoint that throttles: the SDK's default gives up after 3 attempts, the
// provider's retryer keeps trying while the context lasts.
func TestThrottlingIsRetriedUntilTheDeadline(t *testing.T) {
	url, requests := throttlingDataSync(t, 12)
	if _, err := dataSyncClient(url, retry.NewStandard(func(o *retry.StandardOptions) { o.MaxBackoff = time.Millisecond })).
		ListTasks(context.Background(), &datasync.ListTasksInput{}); err == nil || requests.Load() != 3 {
		t.Fatalf("the SDK default: %d requests, err %v; want 3 and a throttling error", requests.Load(), err)
	}

	// Adaptive mode lowers the send rate after each throttle (to about one request
	// in 2 s at first): three throttles take some seconds.
	url, requests = throttlingDataSync(t, 3)
	start := time.Now()
	if _, err := dataSyncClient(url, ThrottleRetryer(5*time.Millisecond)).ListTasks(context.Background(), &datasync.ListTasksInput{}); err != nil {
		t.Fatalf("after 3 throttles: %v", err)
	}
	if got := requests.Load(); got != 4 {
		t.Errorf("%d requests, want 4 (3 throttled, then the answer)", got)
	}
	t.Logf("3 throttles, then the answer, in %s", time.Since(start).Round(time.Millisecond))

	// Throttled without end: the context's deadline ends the retries.
	url, requests = throttlingDataSync(t, -1)
	ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err := dataSyncClient(url, ThrottleRetryer(5*time.Millisecond)).ListTasks(ctx, &datasync.ListTasksInput{})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second || requests.Load() < 2 {
		t.Errorf("endless throttling: %d requests in %s, err %v; want retries ended by the deadline", requests.Load(), time.Since(start), err)
	}
}
