package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/s3transfer/cdk-datasync/app/listing"
	"github.com/s3transfer/cdk-datasync/app/operate"
	"github.com/s3transfer/cdk-datasync/app/verify"
	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

// verifyFlags are verify's own options.
type verifyFlags struct {
	asJSON, checksums, plain bool
	rerun                    bool
	out, inventory           string
	partitions               int
	pageSize                 int32
	every                    time.Duration
}

func newVerify(f *flags) *cobra.Command {
	var v verifyFlags
	cmd := &cobra.Command{
		Use:   "verify NAME...",
		Short: "Compare each transfer's source with its destination, object by object, and explain every difference",
		Long: `verify lists the source location (bucket and prefix, with the task's includes and
excludes applied as DataSync applies them) and the destination location, joins them by
the key relative to each location, and counts objects and bytes per class:

  identical                        same size, same ETag or checksum
  size-equal-content-not-compared  same size; no ETag or checksum both sides carry can
                                   prove the content equal (--checksums reads them)
  missing                          at the source only
  size-differs, content-differs    at both sides, different
  in-flight                        missing or different, but written at the source after
                                   the last run started: the next run transfers it
  archived                         missing or different, and in GLACIER or DEEP_ARCHIVE at
                                   the source: DataSync cannot read it until it is restored
  extra                            at the destination only (reported, not a failure)

Folder objects (keys ending in "/") count neither as missing nor as extra: DataSync
writes and reads them as folders. Each bucket is read with its account's credentials
under --profile-template (the source bucket the source account's, the destination
bucket the destination account's), else with the one credential chain (--profile); the
last run comes from DataSync in the transfer's source account. A transfer that cannot be
read (no credentials for an account, access denied) is reported as UNKNOWN, with the
bucket, account, profile and permission.

With --rerun, each transfer that is not clean gets one execution of its task limited
to the missing and differing keys (in-flight ones too; archived ones need a restore
first): an Includes filter of their exact paths when they fit DataSync's filter (at most
102,400 characters, no key holding |, * or \), else a CSV manifest uploaded to the task
report's bucket under PREFIX/manifests/, which the source stack lets the bucket-access
role read. Without a task report it says what to configure.

Exit status: 0 when nothing is missing or differs in any transfer, 1 otherwise (or
when a listing failed), 2 for a bad command line, 130 when Ctrl-C stopped it.`,
		Args: args(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, names []string) error {
			return runVerify(cmd.Context(), f, &v, names)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&v.asJSON, "json", false, `print JSON for scripts ({"transfers": [...]}, one result per transfer)`)
	fl.StringVar(&v.out, "out", "", "write one CSV file per class other than identical into DIR (NAME.CLASS.csv)")
	fl.BoolVar(&v.checksums, "checksums", false, "read both sides' stored checksums (HeadObject) where the listing cannot prove equality")
	fl.StringVar(&v.inventory, "inventory", "", "read S3 Inventory reports instead of listing: SRC_MANIFEST,DST_MANIFEST (s3://bucket/.../manifest.json each; one transfer)")
	fl.BoolVar(&v.plain, "plain", false, "progress as plain lines even in a terminal")
	fl.BoolVar(&v.rerun, "rerun", false, "start one execution of each transfer's task limited to the missing and differing keys "+
		"(an Includes filter of their exact paths when it fits DataSync's filter limits, else a manifest under the task report's prefix, manifests/)")
	fl.IntVar(&v.partitions, "partitions", 16, "partitions of the key space listed at once per side")
	fl.DurationVar(&v.every, "progress-every", 5*time.Second, "how often a plain progress line is printed")
	fl.Int32Var(&v.pageSize, "page-size", 1000, "keys per ListObjectsV2 request (S3's maximum is 1000)")
	_ = fl.MarkHidden("page-size")
	return cmd
}

// verifyOutput is --json's document.
type verifyOutput struct {
	Transfers []*verify.Result `json:"transfers"`
	// Reruns are the executions --rerun started.
	Reruns []rerunOutput `json:"reruns,omitempty"`
}

func runVerify(ctx context.Context, f *flags, v *verifyFlags, names []string) error {
	var inv *verify.Inventories
	if v.inventory != "" {
		parts := strings.Split(v.inventory, ",")
		var bad []string
		if len(parts) != 2 {
			bad = append(bad, fmt.Sprintf("--inventory %q: want two manifests, SRC_MANIFEST,DST_MANIFEST", v.inventory))
		} else {
			for i, p := range parts {
				if !strings.HasPrefix(p, "s3://") || !strings.HasSuffix(p, "manifest.json") {
					bad = append(bad, fmt.Sprintf("--inventory %s manifest %q: want s3://BUCKET/.../manifest.json", []string{"source", "destination"}[i], p))
				}
			}
			inv = &verify.Inventories{Source: parts[0], Destination: parts[1]}
		}
		if len(names) > 1 {
			bad = append(bad, fmt.Sprintf("--inventory takes the reports of one transfer; %d are named (%s)", len(names), strings.Join(names, ", ")))
		}
		if len(bad) > 0 {
			return usageError{errors.New(strings.Join(bad, "; "))}
		}
	}
	if v.partitions < 1 || v.partitions > 1000 {
		return usageError{fmt.Errorf("--partitions %d: allowed 1 to 1000", v.partitions)}
	}
	cfg, err := f.load()
	if err != nil {
		return err
	}
	transfers, err := pick(cfg, names, f.config)
	if err != nil {
		return err
	}
	if v.out != "" {
		if err := os.MkdirAll(v.out, 0o755); err != nil {
			return usageError{fmt.Errorf("--out %s: %w", v.out, err)}
		}
	}
	s, err := f.session(ctx)
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(f.stderr, "verify: stopped by Ctrl-C before listing; no result (nothing was changed)")
			return exitError{exitInterrupted}
		}
		return err
	}
	deps := verify.Deps{S3: s.S3, LastRun: lastRun(s)}
	verify.LimitMemory()
	var results []*verify.Result
	var reruns []rerunOutput
	clean := true
	for _, t := range transfers {
		var gaps *operate.Gaps
		if v.rerun {
			if gaps, err = operate.NewGaps(""); err != nil {
				return err
			}
		}
		res, err := verifyOne(ctx, f, v, deps, t, inv, gaps)
		if ctx.Err() != nil {
			closeGaps(gaps)
			fmt.Fprintf(f.stderr, "verify %s: stopped by Ctrl-C; no result (nothing was changed)\n", t.Name)
			return exitError{exitInterrupted}
		}
		if err != nil {
			closeGaps(gaps)
			if operate.Unknown(err) {
				// no credentials for an account, or denied: not known, rather than failed
				fmt.Fprintf(f.stderr, "verify %s: UNKNOWN: it could not be checked: %v\n", t.Name, err)
			} else {
				fmt.Fprintf(f.stderr, "verify %s: %v\n", t.Name, err)
			}
			clean = false
			continue
		}
		results = append(results, res)
		clean = clean && res.Clean
		if !v.asJSON {
			printVerify(f.stdout, res)
		}
		if gaps != nil {
			w := f.stdout
			if v.asJSON {
				w = f.stderr
			}
			r, err := rerunGaps(ctx, f, w, s, t, res, gaps)
			closeGaps(gaps)
			if err != nil && ctx.Err() != nil {
				// Ctrl-C: DataSync may have started the re-run and the answer be lost.
				fmt.Fprintf(f.stderr, "verify %s: stopped by Ctrl-C while the re-run of the gaps was being started: it may have started, "+
					"and goes on in DataSync if so; see `transfers status %s`\n", t.Name, t.Name)
				return exitError{exitInterrupted}
			}
			if err != nil {
				fmt.Fprintf(f.stderr, "transfers: %v\n", err)
			}
			if r != nil {
				reruns = append(reruns, rerunOutput{Transfer: t.Name, Rerun: *r})
			}
		}
	}
	if v.asJSON {
		enc := json.NewEncoder(f.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(verifyOutput{Transfers: results, Reruns: reruns}); err != nil {
			return err
		}
	}
	if !clean {
		return exitError{exitFailed}
	}
	return nil
}

// lastRun reads the transfer's last execution from DataSync.
func lastRun(s *operate.Session) func(context.Context, spec.Transfer) (*verify.LastRun, error) {
	return func(ctx context.Context, t spec.Transfer) (*verify.LastRun, error) {
		task, err := s.FindTask(ctx, t)
		if err != nil {
			return nil, err
		}
		d, err := s.Describe(ctx, task)
		if err != nil {
			return nil, err
		}
		if d.CurrentTaskExecutionArn == nil {
			return nil, nil
		}
		e, err := operate.ParseExecutionArn(*d.CurrentTaskExecutionArn)
		if err != nil {
			return nil, err
		}
		p, err := s.Execution(ctx, e)
		if err != nil {
			return nil, err
		}
		return &verify.LastRun{Arn: p.Arn, Status: p.Status, Start: p.Start}, nil
	}
}

// verifyOne runs one transfer's verify with a progress display and CSV files.
func verifyOne(ctx context.Context, f *flags, v *verifyFlags, deps verify.Deps, t spec.Transfer, inv *verify.Inventories, gaps *operate.Gaps) (*verify.Result, error) {
	counters := &listing.Counters{}
	opts := verify.Options{
		Checksums: v.checksums,
		Listing:   listing.Options{Partitions: v.partitions, PageSize: v.pageSize, Counters: counters},
		Inventory: inv,
	}
	var files *classFiles
	if v.out != "" {
		files = &classFiles{dir: v.out, transfer: t, open: map[verify.Class]*classFile{}}
		opts.OnDifference = files.write
	}
	if gaps != nil {
		opts.OnDifference = collectGaps(gaps, opts.OnDifference)
	}
	stop := showProgress(f.stderr, t.Name, counters, !v.plain && isTerminal(f.stderr) && os.Getenv("NO_COLOR") == "", v.every)
	res, err := verify.Run(ctx, deps, t, opts)
	stop()
	if files != nil {
		if cerr := files.close(); err == nil {
			err = cerr
		}
	}
	return res, err
}

// showProgress shows the listing's progress until the returned function is called:
// redrawn in place on a terminal, else one plain line every `every`.
func showProgress(w io.Writer, name string, c *listing.Counters, terminal bool, every time.Duration) func() {
	start := time.Now()
	line := func() string {
		s, d := c.Source.Load(), c.Destination.Load()
		el := time.Since(start)
		return fmt.Sprintf("verify %s: listed source %s · destination %s objects · %s objects/s · %s",
			name, count(s), count(d), count(int64(float64(s+d)/max(el.Seconds(), 0.001))), duration(el))
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := every
		if terminal {
			tick = 200 * time.Millisecond
		}
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			select {
			case <-done:
				if terminal {
					fmt.Fprint(w, "\r\x1b[K"+line()+"\n")
				}
				return
			case <-t.C:
				if terminal {
					fmt.Fprint(w, "\r\x1b[K"+line())
				} else {
					fmt.Fprintln(w, time.Now().UTC().Format("15:04:05Z")+" "+line())
				}
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// label is a class as the summary names it.
var label = map[verify.Class]string{
	verify.Identical:      "identical",
	verify.NotCompared:    "size equal, content not compared",
	verify.Missing:        "missing at the destination",
	verify.SizeDiffers:    "size differs",
	verify.ContentDiffers: "content differs",
	verify.InFlight:       "in flight (changed after the last run started)",
	verify.Archived:       "archived at the source (needs a restore)",
	verify.Unsupported:    "key DataSync cannot transfer (not a failure)",
	verify.Extra:          "extra at the destination (not a failure)",
}

func printVerify(w io.Writer, r *verify.Result) {
	fmt.Fprintf(w, "%s: %s -> %s\n", r.Transfer, r.Source, r.Destination)
	if r.LastRun != nil {
		fmt.Fprintf(w, "  last run %s, %s, started %s\n", filepath.Base(r.LastRun.Arn), r.LastRun.Status, r.LastRun.Start.UTC().Format("2006-01-02 15:04:05Z"))
	}
	fmt.Fprintf(w, "  %-48s %12s %10s\n", "CLASS", "OBJECTS", "BYTES")
	for _, c := range verify.Classes {
		k := r.Counts[c]
		fmt.Fprintf(w, "  %-48s %12s %10s\n", label[c], count(k.Objects), size(k.Bytes))
	}
	fmt.Fprintf(w, "  excluded by the task's filters: %s (%s); folder objects: source %s, destination %s\n",
		count(r.Excluded.Objects), size(r.Excluded.Bytes), count(r.SourceFolders), count(r.DestinationFolders))
	fmt.Fprintf(w, "  %s requests in %s", count(r.Requests), duration(time.Duration(r.Seconds*float64(time.Second))))
	if r.Headed > 0 {
		fmt.Fprintf(w, "; checksums of %s objects read (HeadObject, both sides)", count(r.Headed))
	}
	fmt.Fprintln(w)
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", warn)
	}
	if k := r.Counts[verify.Unsupported]; k.Objects > 0 {
		fmt.Fprintf(w, "  %s objects (%s) have keys DataSync cannot transfer (a leading \"/\", or \"//\", \"/./\", \"/../\"): no run or re-run copies them;\n"+
			"  copy them another way (e.g. aws s3 cp, S3 Batch Operations); --out DIR lists them in %s.%s.csv\n",
			count(k.Objects), size(k.Bytes), r.Transfer, verify.Unsupported)
	}
	if r.Clean {
		if r.Counts[verify.Unsupported].Objects > 0 {
			fmt.Fprintf(w, "%s: CLEAN: every object of the source DataSync can transfer is at the destination\n", r.Transfer)
			return
		}
		fmt.Fprintf(w, "%s: CLEAN: every object of the source is at the destination\n", r.Transfer)
		return
	}
	var n, b int64
	for _, c := range verify.Classes {
		if c.Failure() {
			n += r.Counts[c].Objects
			b += r.Counts[c].Bytes
		}
	}
	fmt.Fprintf(w, "%s: NOT CLEAN: %s objects (%s) missing or different", r.Transfer, count(n), size(b))
	if len(r.Gaps) > 0 {
		shown := r.Gaps[:min(len(r.Gaps), 5)]
		fmt.Fprintf(w, ", e.g. %s", strings.Join(quoteAll(shown), ", "))
	}
	fmt.Fprintln(w)
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}

// classFiles writes one CSV per class, opened at its first row.
type classFiles struct {
	dir      string
	transfer spec.Transfer
	open     map[verify.Class]*classFile
}

type classFile struct {
	f   *os.File
	buf *bufio.Writer
	csv *csv.Writer
}

// csvHeader are the columns of a class file: the key relative to both locations,
// then each side's bucket key, size, ETag, storage class and last-modified time.
var csvHeader = []string{"key", "source_key", "source_size", "source_etag", "source_storage_class", "source_last_modified",
	"destination_key", "destination_size", "destination_etag", "destination_last_modified"}

func (cf *classFiles) write(d verify.Difference) error {
	f, ok := cf.open[d.Class]
	if !ok {
		path := filepath.Join(cf.dir, cf.transfer.Name+"."+string(d.Class)+".csv")
		file, err := os.Create(path)
		if err != nil {
			return err
		}
		buf := bufio.NewWriter(file)
		f = &classFile{f: file, buf: buf, csv: csv.NewWriter(buf)}
		cf.open[d.Class] = f
		if err := f.csv.Write(csvHeader); err != nil {
			return err
		}
	}
	row := make([]string, len(csvHeader))
	row[0] = d.Key
	if d.Src != nil {
		row[1] = listing.Location{Prefix: cf.transfer.Source.Prefix}.KeyPrefix() + d.Key
		row[2] = strconv.FormatInt(d.Src.Size, 10)
		row[3], row[4], row[5] = d.Src.ETag, d.Src.StorageClass, d.Src.LastModified.UTC().Format(time.RFC3339)
	}
	if d.Dst != nil {
		row[6] = listing.Location{Prefix: cf.transfer.Destination.Prefix}.KeyPrefix() + d.Key
		row[7] = strconv.FormatInt(d.Dst.Size, 10)
		row[8], row[9] = d.Dst.ETag, d.Dst.LastModified.UTC().Format(time.RFC3339)
	}
	return f.csv.Write(row)
}

func (cf *classFiles) close() error {
	var first error
	for _, f := range cf.open {
		f.csv.Flush()
		for _, err := range []error{f.csv.Error(), f.buf.Flush(), f.f.Close()} {
			if err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}
