// Package operate is what the transfers command knows about DataSync and S3: it finds
// each transfer's task in the transfer's destination Region (where the app creates
// it, in the source account), reads the task and its executions, starts runs,
// pauses and resumes schedules, follows a run's progress, and turns AWS errors into
// messages that say what to do. It uses the standard AWS SDK for Go v2
// configuration: one credential chain for every call, or with a profile template one
// profile per account, each call made with the profile of the account that owns what
// it touches.
package operate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/datasync"
	"github.com/aws/aws-sdk-go-v2/service/datasync/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
)

// AccountPlaceholder is what a profile template has in place of the account ID, as
// in the commands `make plan` prints (acct-{account}).
const AccountPlaceholder = "{account}"

// Options choose the AWS configuration, as the AWS CLI's flags do.
type Options struct {
	// Profile is a profile of the shared config files, for every call. Default:
	// AWS_PROFILE, or the SDK's default chain (environment, default profile, SSO,
	// container or instance role).
	Profile string
	// ProfileTemplate names the profile of each account: AccountPlaceholder is
	// replaced by the account ID (acct-{account} -> acct-111111111111). Each call then
	// uses the profile of the account that owns what it touches: DataSync and the
	// source bucket the source account's, the destination bucket the destination
	// account's. Default: Profile's one chain for every call.
	ProfileTemplate string
	// Region is the Region of the SDK's own calls (SSO, STS for assumed roles).
	// DataSync is always called in each transfer's destination Region, S3 in each
	// bucket's Region. Default: AWS_REGION, or the profile's region.
	Region string
}

// Check returns what is wrong with the options, naming the flags.
func (o Options) Check() error {
	var problems []string
	if o.ProfileTemplate != "" {
		if !strings.Contains(o.ProfileTemplate, AccountPlaceholder) {
			problems = append(problems, fmt.Sprintf("--profile-template %q has no %s: write where the account ID goes, e.g. 'acct-%s'",
				o.ProfileTemplate, AccountPlaceholder, AccountPlaceholder))
		}
		if o.Profile != "" {
			problems = append(problems, fmt.Sprintf("--profile %q and --profile-template %q both given: use --profile for one set of credentials, --profile-template for one profile per account",
				o.Profile, o.ProfileTemplate))
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// ProfileFor is the profile of account under template.
func ProfileFor(template, account string) string {
	return strings.ReplaceAll(template, AccountPlaceholder, account)
}

// Session holds the AWS configuration of each account and one client per account,
// service and Region.
type Session struct {
	opts Options

	mu       sync.Mutex
	creds    map[string]*creds // by credKey
	clients  map[string]*datasync.Client
	s3s      map[string]*s3.Client
	tasks    map[string]*regionTasks
	explicit bool // the one chain's profile was given (flag or AWS_PROFILE)
}

// creds is the configuration of one account (or of the one chain), loaded once.
type creds struct {
	once    sync.Once
	cfg     aws.Config
	profile string // the profile in use, for messages; "" for the default chain
	account string // the credentials' account, when the provider says
	err     error
}

type regionTasks struct {
	once    sync.Once
	done    atomic.Bool // entries and err are set
	entries []types.TaskListEntry
	err     error
}

// Open loads the AWS configuration. Without a profile template it loads the one
// chain and checks that it has credentials; with one, each account's profile is
// loaded when a call first needs it, and an account without usable credentials
// fails only what touches that account.
func Open(ctx context.Context, opts Options) (*Session, error) {
	if err := opts.Check(); err != nil {
		return nil, err
	}
	s := &Session{opts: opts, creds: map[string]*creds{}, clients: map[string]*datasync.Client{},
		s3s: map[string]*s3.Client{}, tasks: map[string]*regionTasks{}}
	if opts.ProfileTemplate == "" {
		if _, err := s.credsFor(ctx, ""); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// PerAccount is whether each account has its own profile (--profile-template).
func (s *Session) PerAccount() bool { return s.opts.ProfileTemplate != "" }

// credKey is the key of account's credentials: the account with a template, else
// "" (one chain for every account).
func (s *Session) credKey(account string) string {
	if s.PerAccount() {
		return account
	}
	return ""
}

// Profile is the profile used for account's calls, "" for the SDK's default chain.
func (s *Session) Profile(account string) string {
	if s.PerAccount() {
		return ProfileFor(s.opts.ProfileTemplate, account)
	}
	if s.opts.Profile != "" {
		return s.opts.Profile
	}
	return os.Getenv("AWS_PROFILE")
}

// credsFor loads the configuration account's calls use, once.
func (s *Session) credsFor(ctx context.Context, account string) (*creds, error) {
	key := s.credKey(account)
	s.mu.Lock()
	c, ok := s.creds[key]
	if !ok {
		c = &creds{}
		s.creds[key] = c
	}
	s.mu.Unlock()
	c.once.Do(func() { c.load(ctx, s, account) })
	return c, c.err
}

func (c *creds) load(ctx context.Context, s *Session, account string) {
	perAccount := s.PerAccount()
	profile := s.opts.Profile
	if perAccount {
		profile = ProfileFor(s.opts.ProfileTemplate, account)
	}
	var load []func(*config.LoadOptions) error
	if profile != "" {
		load = append(load, config.WithSharedConfigProfile(profile))
	}
	if s.opts.Region != "" {
		load = append(load, config.WithRegion(s.opts.Region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, load...)
	if profile == "" {
		profile = os.Getenv("AWS_PROFILE")
	}
	c.cfg, c.profile = cfg, profile
	var missing config.SharedConfigProfileNotExistError
	switch {
	case errors.As(err, &missing) && perAccount:
		what, _ := missingProfile(missing.Profile)
		c.err = &AccountCredentialsError{Account: account, Profile: profile, Reason: fmt.Sprintf(
			"%s: add it (aws configure --profile %s, or aws configure sso), or correct --profile-template", what, missing.Profile)}
		return
	case errors.As(err, &missing):
		c.err = profileNotFound(missing.Profile)
		return
	case err != nil:
		c.err = fmt.Errorf("reading the AWS configuration: %w", err)
		if perAccount {
			c.err = &AccountCredentialsError{Account: account, Profile: profile, Reason: c.err.Error()}
		}
		return
	}
	got, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		if perAccount {
			c.err = &AccountCredentialsError{Account: account, Profile: profile, Reason: fmt.Sprintf(
				"profile %q has no usable credentials (for an SSO profile run `aws sso login --profile %s`): %v", profile, profile, err)}
			return
		}
		c.err = &NoCredentialsError{Profile: profile, Err: err}
		return
	}
	c.account = got.AccountID
	if perAccount && c.account != "" && c.account != account {
		c.err = &AccountCredentialsError{Account: account, Profile: profile, Reason: fmt.Sprintf(
			"profile %q has credentials of account %s, not %s: correct the profile or --profile-template", profile, c.account, account)}
	}
}

// Config is the AWS configuration of account's calls, and the profile it comes from.
func (s *Session) Config(ctx context.Context, account string) (aws.Config, string, error) {
	c, err := s.credsFor(ctx, account)
	if err != nil {
		return aws.Config{}, s.Profile(account), err
	}
	return c.cfg, c.profile, nil
}

// client is the DataSync client of account in region.
func (s *Session) client(ctx context.Context, account, region string) (*datasync.Client, error) {
	return cachedClient(ctx, s, s.clients, account, region, func(cfg aws.Config) *datasync.Client {
		return datasync.NewFromConfig(cfg, func(o *datasync.Options) { o.Region = region })
	})
}

// cachedClient is the client of account's credentials in region from cache, made
// by newClient the first time.
func cachedClient[C any](ctx context.Context, s *Session, cache map[string]C, account, region string, newClient func(aws.Config) C) (C, error) {
	c, err := s.credsFor(ctx, account)
	if err != nil {
		var none C
		return none, err
	}
	key := s.credKey(account) + " " + region
	s.mu.Lock()
	defer s.mu.Unlock()
	client, ok := cache[key]
	if !ok {
		client = newClient(c.cfg)
		cache[key] = client
	}
	return client, nil
}

// S3 is an S3 client with account's credentials (its profile under
// --profile-template, else the one chain) for buckets in region: the per-account
// client factory of everything that reads or writes buckets (verify, the manifest
// of a re-run). Use the source account for the source bucket, the destination
// account for the destination bucket.
func (s *Session) S3(ctx context.Context, account, region string) (*s3.Client, error) {
	return cachedClient(ctx, s, s.s3s, account, region, func(cfg aws.Config) *s3.Client {
		return s3.NewFromConfig(cfg, func(o *s3.Options) {
			o.Region = region
			o.APIOptions = append(o.APIOptions, s.explainDenied(account, region))
		})
	})
}

// explainDenied makes every S3 call's access denial (and rejected credentials) an
// error that names the bucket, the account, the profile and the permission missing,
// whoever made the call (verify's listing, a manifest upload); other errors pass
// unchanged.
func (s *Session) explainDenied(account, region string) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("ExplainDenied",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleInitialize(ctx, in)
				if err != nil {
					if e := s.ExplainS3(err, middleware.GetOperationName(ctx), bucketOf(in.Parameters), account, region); Unknown(e) {
						err = e
					}
				}
				return out, md, err
			}), middleware.After)
	}
}

// bucketOf is the bucket of an S3 call's input, "" if it names none.
func bucketOf(params any) string {
	switch in := params.(type) {
	case *s3.ListObjectsV2Input:
		return aws.ToString(in.Bucket)
	case *s3.ListObjectVersionsInput:
		return aws.ToString(in.Bucket)
	case *s3.HeadObjectInput:
		return aws.ToString(in.Bucket)
	case *s3.GetObjectInput:
		return aws.ToString(in.Bucket)
	case *s3.PutObjectInput:
		return aws.ToString(in.Bucket)
	case *s3.HeadBucketInput:
		return aws.ToString(in.Bucket)
	}
	return ""
}

// listTasks is every task account's credentials see in region (ListTasks, all
// pages), once per session.
func (s *Session) listTasks(ctx context.Context, account, region string) ([]types.TaskListEntry, error) {
	client, err := s.client(ctx, account, region)
	if err != nil {
		return nil, err
	}
	key := s.credKey(account) + " " + region
	s.mu.Lock()
	rt, ok := s.tasks[key]
	if !ok {
		rt = &regionTasks{}
		s.tasks[key] = rt
	}
	s.mu.Unlock()
	rt.once.Do(func() {
		defer rt.done.Store(true)
		p := datasync.NewListTasksPaginator(client, &datasync.ListTasksInput{MaxResults: aws.Int32(100)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				rt.err = err
				return
			}
			rt.entries = append(rt.entries, page.Tasks...)
		}
	})
	return rt.entries, rt.err
}
