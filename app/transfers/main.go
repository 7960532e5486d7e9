// Command transfers operates the DataSync transfers of a config file after they are
// deployed: the status of every transfer, starting runs, following a run's progress,
// pausing and resuming schedules, verifying the destination against the source, and
// the cutover. It reads the same config file as the CDK app (-c FILE; the embedded
// example when left out) and calls DataSync in each transfer's destination Region, S3
// in each bucket's, and STS, with the standard AWS SDK for Go v2 configuration: one
// credential chain, or one profile per account (--profile-template 'acct-{account}').
//
//	go run ./app/transfers status [NAME...] [-c FILE] [--json]
//	go run ./app/transfers start NAME... [--watch]
//	go run ./app/transfers watch NAME|EXECUTION_ARN
//	go run ./app/transfers pause NAME... / resume NAME...
//	go run ./app/transfers verify NAME... [--json] [--out DIR] [--checksums] [--inventory SRC,DST] [--rerun]
//	go run ./app/transfers cutover NAME... [--rerun-gaps]
//	go run ./app/transfers estimate [NAME...] [--json] [--quick] [--prices FILE]
//	go run ./app/transfers prices [REGION...] [--all] [-o FILE] [--price-list-url URL]
//
// prices needs no config and no credentials: it reads AWS's public price list.
//
// Exit status: 0 when everything asked for succeeded (every watched run ended in
// SUCCESS, every verify and cutover clean); 1 when a run ended in ERROR, something is
// not clean or failed; 2 for a bad command line or config file; 130 when Ctrl-C
// stopped it (a started run goes on).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/s3transfer/cdk-datasync/app/config"
	"github.com/s3transfer/cdk-datasync/app/example"
	"github.com/s3transfer/cdk-datasync/app/operate"
	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

// Exit statuses.
const (
	exitFailed      = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// exitError carries an exit status; its message, if any, is already printed.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs the command line args and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	var exit exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.code
	}
	fmt.Fprintln(stderr, "transfers:", err)
	var usage usageError
	if errors.As(err, &usage) {
		return exitUsage
	}
	return exitFailed
}

// usageError is a bad command line or config file.
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// flags are the options every verb takes.
type flags struct {
	config, profile, region string
	profileTemplate         string
	stdout, stderr          io.Writer

	loaded *config.Config // the config, once read
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	f := &flags{stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "transfers",
		Short: "Status, start and live progress of the DataSync transfers of a config file",
		Long: `transfers operates the transfers the CDK app deployed. It finds each transfer's
DataSync task in the transfer's destination Region, in the source account: the task the
app's provider tagged for the transfer's stack, else the one task of the transfer's name.
Credentials come from the standard AWS SDK configuration: environment, --profile or
AWS_PROFILE, SSO, container or instance role; with --profile-template 'acct-{account}'
each call uses the profile of the account that owns what it touches. verify and
estimate also list the buckets (S3), estimate --quick reads their storage metrics (CloudWatch);
prices reads AWS's public price list and needs neither config nor credentials.

Exit status: 0 when everything succeeded (every watched run ended in SUCCESS, every
verify and cutover clean), 1 when a run ended in ERROR, something is not clean or
failed, 2 for a bad command line or config file, 130 when Ctrl-C stopped it (a started
run goes on in DataSync).`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	pf := root.PersistentFlags()
	pf.StringVarP(&f.config, "config", "c", "", "the app's config file (default: the example embedded in the app, app/example/example.yaml)")
	pf.StringVar(&f.profile, "profile", "", "AWS profile for every call (default: AWS_PROFILE, or the SDK's default chain); see --profile-template for one per account")
	pf.StringVar(&f.profileTemplate, "profile-template", "", "one AWS profile per account: "+operate.AccountPlaceholder+" is replaced by the account ID (e.g. 'acct-"+operate.AccountPlaceholder+"'); each call uses the profile of the account that owns what it touches (DataSync and the source bucket: the source account; the destination bucket: the destination account)")
	pf.StringVar(&f.region, "region", "", "Region of the SDK's own calls (SSO, STS); DataSync is always called in each transfer's destination Region")
	root.AddCommand(newStatus(f), newStart(f), newWatch(f), newVerify(f), newCutover(f), newPause(f), newResume(f), newEstimate(f), newPrices(f))
	return root
}

// args wraps a cobra argument check so that its error is a usage error.
func args(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, a []string) error {
		if err := check(cmd, a); err != nil {
			return usageError{err}
		}
		return nil
	}
}

// load reads the config file, or the embedded example, once.
func (f *flags) load() (*config.Config, error) {
	if f.loaded != nil {
		return f.loaded, nil
	}
	var cfg *config.Config
	var err error
	if f.config != "" {
		cfg, err = config.Load(f.config)
	} else {
		cfg, err = config.Parse(example.YAML, example.Name)
		if err == nil {
			fmt.Fprintln(f.stderr, "transfers: no -c FILE: using the "+example.Name+", whose accounts are placeholders")
		}
	}
	if err != nil {
		return nil, usageError{err}
	}
	f.loaded = cfg
	return cfg, nil
}

// session opens the AWS configuration.
func (f *flags) session(ctx context.Context) (*operate.Session, error) {
	opts := operate.Options{Profile: f.profile, ProfileTemplate: f.profileTemplate, Region: f.region}
	if err := opts.Check(); err != nil {
		return nil, usageError{err}
	}
	return operate.Open(ctx, opts)
}

// warn prints warnings on stderr.
func (f *flags) warn(warnings []string) {
	for _, w := range warnings {
		fmt.Fprintln(f.stderr, "transfers: warning:", w)
	}
}

// pick returns the transfers named, in the order named.
// selected loads the config and returns the named transfers, or all of them when no
// name is given.
func (f *flags) selected(names []string) ([]spec.Transfer, error) {
	cfg, err := f.load()
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return cfg.Transfers, nil
	}
	return pick(cfg, names, f.config)
}

func pick(cfg *config.Config, names []string, file string) ([]spec.Transfer, error) {
	var out []spec.Transfer
	for _, name := range names {
		i := slices.IndexFunc(cfg.Transfers, func(t spec.Transfer) bool { return t.Name == name })
		if i < 0 {
			all := make([]string, len(cfg.Transfers))
			for j, t := range cfg.Transfers {
				all[j] = t.Name
			}
			if file == "" {
				file = "the embedded example (pass -c FILE for yours)"
			}
			return nil, usageError{fmt.Errorf("no transfer named %q in %s: its transfers are %s", name, file, strings.Join(all, ", "))}
		}
		out = append(out, cfg.Transfers[i])
	}
	return out, nil
}

// interval is the flag of how often watch polls DataSync.
func addInterval(cmd *cobra.Command, d *time.Duration) {
	cmd.Flags().DurationVar(d, "interval", 5*time.Second, "how often to ask DataSync for progress")
}
