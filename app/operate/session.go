// Package operate is what the transfers command knows about DataSync: it finds each
// transfer's task by name in the transfer's destination Region (where the app
// creates it, in the source account), reads the task and its executions, starts
// runs, follows a run's progress, and turns AWS errors into messages that say what
// to do. It calls DataSync only, with the standard AWS SDK for Go v2 configuration.
package operate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/datasync"
	"github.com/aws/aws-sdk-go-v2/service/datasync/types"
)

// Options choose the AWS configuration, as the AWS CLI's flags do.
type Options struct {
	// Profile is a profile of the shared config files. Default: AWS_PROFILE, or the
	// SDK's default chain (environment, default profile, SSO, container or instance role).
	Profile string
	// Region is the Region of the SDK's own calls (SSO, STS for assumed roles).
	// DataSync is always called in each transfer's destination Region. Default: AWS_REGION,
	// or the profile's region.
	Region string
}

// Session holds the AWS configuration and one DataSync client per Region.
type Session struct {
	cfg     aws.Config
	profile string // the profile in use, for messages; "" for the default chain
	account string // the credentials' account, when the provider says

	mu      sync.Mutex
	clients map[string]*datasync.Client
	tasks   map[string]*regionTasks
}

type regionTasks struct {
	once    sync.Once
	done    atomic.Bool // entries and err are set
	entries []types.TaskListEntry
	err     error
}

// Open loads the AWS configuration and checks that it has credentials.
func Open(ctx context.Context, opts Options) (*Session, error) {
	var load []func(*config.LoadOptions) error
	if opts.Profile != "" {
		load = append(load, config.WithSharedConfigProfile(opts.Profile))
	}
	if opts.Region != "" {
		load = append(load, config.WithRegion(opts.Region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, load...)
	profile := opts.Profile
	if profile == "" {
		profile = os.Getenv("AWS_PROFILE")
	}
	var missing config.SharedConfigProfileNotExistError
	if errors.As(err, &missing) {
		return nil, profileNotFound(missing.Profile)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the AWS configuration: %w", err)
	}
	s := &Session{cfg: cfg, profile: profile, clients: map[string]*datasync.Client{}, tasks: map[string]*regionTasks{}}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, &NoCredentialsError{Profile: profile, Err: err}
	}
	s.account = creds.AccountID
	return s, nil
}

// Profile is the profile in use, "" for the SDK's default chain.
func (s *Session) Profile() string { return s.profile }

// client is the DataSync client of region.
func (s *Session) client(region string) *datasync.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[region]
	if !ok {
		c = datasync.NewFromConfig(s.cfg, func(o *datasync.Options) { o.Region = region })
		s.clients[region] = c
	}
	return c
}

// listTasks is every task the credentials see in region (ListTasks, all pages), once
// per session.
func (s *Session) listTasks(ctx context.Context, region string) ([]types.TaskListEntry, error) {
	s.mu.Lock()
	rt, ok := s.tasks[region]
	if !ok {
		rt = &regionTasks{}
		s.tasks[region] = rt
	}
	s.mu.Unlock()
	rt.once.Do(func() {
		defer rt.done.Store(true)
		p := datasync.NewListTasksPaginator(s.client(region), &datasync.ListTasksInput{MaxResults: aws.Int32(100)})
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
