package operate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3transfer/cdk-datasync/app/operate/fakes3"
)

// accounts are the test's accounts and their access keys.
var accounts = map[string]string{
	"111111111111": "AKIDSRC1111111EXAMPLE",
	"222222222222": "AKIDDST2222222EXAMPLE",
}

// profileEnv writes an AWS config file with the profile acct-ACCOUNT of each of
// accounts, and sets the environment so that nothing else is used: the environment's
// own keys are of account 999999999999, so a call that ignores the template is seen.
func profileEnv(t *testing.T, endpoints map[string]string) {
	t.Helper()
	dir := t.TempDir()
	var cfg strings.Builder
	for account, key := range accounts {
		fmt.Fprintf(&cfg, "[profile acct-%s]\naws_access_key_id = %s\naws_secret_access_key = secret-%s\nregion = us-east-1\n\n", account, key, account)
	}
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDENV9999999EXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	for _, v := range []string{"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_REGION"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	for name, url := range endpoints {
		t.Setenv(name, url)
	}
}

func TestS3ClientPerAccount(t *testing.T) {
	// GIVEN a source bucket of account 111..., a destination bucket of account 222...,
	// and a profile per account
	srv := fakes3.New()
	defer srv.Close()
	for account, key := range accounts {
		srv.AddKey(key, account)
	}
	srv.AddKey("AKIDENV9999999EXAMPLE", "999999999999")
	srv.AddBucket("src", "111111111111")
	srv.AddBucket("dst", "222222222222")
	srv.Put("src", "a.txt", []byte("a"))
	profileEnv(t, map[string]string{"AWS_ENDPOINT_URL_S3": srv.URL})
	ctx := context.Background()
	s, err := Open(ctx, Options{ProfileTemplate: "acct-{account}"})
	if err != nil {
		t.Fatal(err)
	}

	// WHEN each bucket is listed with the client of its account
	for bucket, account := range map[string]string{"src": "111111111111", "dst": "222222222222"} {
		c, err := s.S3(ctx, account, "us-west-2")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)}); err != nil {
			t.Fatalf("%s: %v", bucket, s.ExplainS3(err, "ListObjectsV2", bucket, account, "us-west-2"))
		}
	}

	// THEN each request was signed by the key of the account that owns the bucket
	reqs := srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2: %+v", len(reqs), reqs)
	}
	for _, r := range reqs {
		want := map[string]string{"src": accounts["111111111111"], "dst": accounts["222222222222"]}[r.Bucket]
		if r.AccessKey != want || r.Denied {
			t.Errorf("%s %s signed by %s (denied %v), want %s", r.Method, r.Bucket, r.AccessKey, r.Denied, want)
		}
	}
}

func TestS3AccessDeniedNamesBucketAccountProfileAndPermission(t *testing.T) {
	// GIVEN the destination account's profile lacks s3:ListBucket on its bucket
	srv := fakes3.New()
	defer srv.Close()
	for account, key := range accounts {
		srv.AddKey(key, account)
	}
	srv.AddBucket("dst", "222222222222")
	srv.Deny("dst", "222222222222")
	profileEnv(t, map[string]string{"AWS_ENDPOINT_URL_S3": srv.URL})
	ctx := context.Background()
	s, err := Open(ctx, Options{ProfileTemplate: "acct-{account}"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.S3(ctx, "222222222222", "us-west-2")
	if err != nil {
		t.Fatal(err)
	}

	// WHEN it lists the bucket
	_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("dst")})
	err = s.ExplainS3(err, "ListObjectsV2", "dst", "222222222222", "us-west-2")

	// THEN the message names all four
	var denied *AccessDeniedError
	if !errors.As(err, &denied) || !Unknown(err) {
		t.Fatalf("got %T %v, want an AccessDeniedError", err, err)
	}
	for _, want := range []string{"bucket dst", "account 222222222222", `profile "acct-222222222222"`, "s3:ListBucket"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
}

func TestMissingProfileIsUnknownForThatAccountOnly(t *testing.T) {
	// GIVEN profiles for 111... and 222... but none for 333...
	profileEnv(t, nil)
	ctx := context.Background()
	s, err := Open(ctx, Options{ProfileTemplate: "acct-{account}"})
	if err != nil {
		t.Fatal(err)
	}

	// WHEN each account's configuration is loaded
	_, _, errOK := s.Config(ctx, "111111111111")
	_, _, errMissing := s.Config(ctx, "333333333333")

	// THEN only the account without a profile fails, as unknown, with the profile named
	if errOK != nil {
		t.Errorf("account 111111111111: %v", errOK)
	}
	var acct *AccountCredentialsError
	if !errors.As(errMissing, &acct) || !Unknown(errMissing) || !strings.Contains(errMissing.Error(), `profile "acct-333333333333" is not in`) {
		t.Errorf("account 333333333333: %v, want an AccountCredentialsError naming the profile", errMissing)
	}
}

func TestOptionsCheck(t *testing.T) {
	for _, tc := range []struct {
		opts Options
		want []string
	}{
		{Options{ProfileTemplate: "acct"}, []string{`--profile-template "acct" has no {account}`}},
		{Options{ProfileTemplate: "acct-{account}", Profile: "p"}, []string{`--profile "p" and --profile-template "acct-{account}" both given`}},
		{Options{ProfileTemplate: "x", Profile: "p"}, []string{"has no {account}", "both given"}},
		{Options{ProfileTemplate: "acct-{account}"}, nil},
		{Options{Profile: "p"}, nil},
	} {
		err := tc.opts.Check()
		if (err == nil) != (tc.want == nil) {
			t.Errorf("%+v: %v", tc.opts, err)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%+v: %q lacks %q", tc.opts, err, w)
			}
		}
	}
}
