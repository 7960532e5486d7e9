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

	"github.com/s3transfer/cdk-datasync/internal/s3fake"
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
	profileEnvKeys(t, accounts, endpoints)
}

// profileEnvKeys is profileEnv with the profiles of keys (account -> access key).
func profileEnvKeys(t *testing.T, keys, endpoints map[string]string) {
	t.Helper()
	dir := t.TempDir()
	var cfg strings.Builder
	for account, key := range keys {
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

// s3WithAccounts is a fake S3 that refuses requests signed by another account than
// the bucket owner's, with a source bucket of 111... and a destination bucket of 222....
func s3WithAccounts(t *testing.T) *s3fake.Server {
	t.Helper()
	srv := s3fake.New(t)
	for account, key := range accounts {
		srv.Key(key, account)
	}
	srv.Key("AKIDENV9999999EXAMPLE", "999999999999")
	ctx := context.Background()
	for bucket, account := range map[string]string{"src": "111111111111", "dst": "222222222222", "acme-reports": "111111111111"} {
		if err := srv.Bucket(ctx, srv.Client(accounts[account]), bucket, false); err != nil {
			t.Fatal(err)
		}
		srv.Own(bucket, account)
	}
	return srv
}

func TestS3ClientPerAccount(t *testing.T) {
	// GIVEN a source bucket of account 111..., a destination bucket of account 222...,
	// a profile per account, and environment keys of a third account
	srv := s3WithAccounts(t)
	profileEnv(t, map[string]string{"AWS_ENDPOINT_URL_S3": srv.URL})
	ctx := context.Background()
	s, err := Open(ctx, Options{ProfileTemplate: "acct-{account}"})
	if err != nil {
		t.Fatal(err)
	}
	before := srv.Requests.Load()

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
	// (the server refuses any other)
	if n := srv.Requests.Load() - before; n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
	if d := srv.Denied(); len(d) != 0 {
		t.Errorf("refused: %v", d)
	}
}

func TestS3AccessDeniedNamesBucketAccountProfileAndPermission(t *testing.T) {
	// GIVEN the destination account's profile holds the source account's key by mistake
	srv := s3WithAccounts(t)
	accounts := map[string]string{"111111111111": accounts["111111111111"], "222222222222": accounts["111111111111"]}
	profileEnvKeys(t, accounts, map[string]string{"AWS_ENDPOINT_URL_S3": srv.URL})
	ctx := context.Background()
	s, err := Open(ctx, Options{ProfileTemplate: "acct-{account}"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.S3(ctx, "222222222222", "us-west-2")
	if err != nil {
		t.Fatal(err)
	}

	// WHEN it lists the destination bucket
	_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("dst")})

	// THEN the client's error names all four, and a verb can report it as unknown
	var denied *AccessDeniedError
	if !errors.As(err, &denied) || !Unknown(err) {
		t.Fatalf("got %T %v, want an AccessDeniedError", err, err)
	}
	for _, want := range []string{"bucket dst", "of account 222222222222", `profile "acct-222222222222"`, "Missing permission: s3:ListBucket"} {
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
