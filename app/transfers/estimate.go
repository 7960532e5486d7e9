package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/spf13/cobra"

	"github.com/s3transfer/cdk-datasync/app/estimate"
	"github.com/s3transfer/cdk-datasync/app/listing"
	"github.com/s3transfer/cdk-datasync/app/operate"
	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

func newEstimate(f *flags) *cobra.Command {
	var asJSON, quick bool
	var pricesFile, inventory string
	var partitions int
	cmd := &cobra.Command{
		Use:   "estimate [NAME...]",
		Short: "What each transfer's first run would copy and cost, and what each month of its schedule costs",
		Long: `estimate lists each transfer's source prefix and destination prefix (the listing engine verify
uses: partitions of the key space in parallel, with progress on stderr) and prices, line by
line, what the first run would copy (the task's filters applied; with transferMode CHANGED,
objects already identical at the destination not counted) and what each month of the
schedule costs afterwards, split by the account that pays each line. Every line shows its
quantity, unit price and formula. Prices come from the table in app/estimate/prices.json
(dated, from AWS's public price list); --prices FILE overrides any of its entries.

--inventory SRC_MANIFEST,DST_MANIFEST reads S3 Inventory reports of both buckets instead of
listing them (one transfer; buckets too large to list from one machine), through the same join.

--quick reads S3's daily storage metrics (CloudWatch, AWS/S3 BucketSizeBytes and
NumberOfObjects) instead of listing: whole-bucket sources only, approximate, and as old as
S3's last daily figure.

When a transfer's task has run, its last execution's real figures (bytes, objects, duration,
throughput) are shown beside the model, with the first run's duration at that rate.

An estimate is not a quote: free tiers, discounts, taxes and the change rate between
scheduled runs are not in it (docs/estimating-cost.md says what is and is not counted).

Exit status 0 when every transfer was estimated, 1 when one could not be (an unreadable
bucket, missing credentials), 2 for a bad command line, config or prices file.`,
		Args: args(cobra.ArbitraryArgs),
		RunE: func(cmd *cobra.Command, names []string) error {
			transfers, err := f.selected(names)
			if err != nil {
				return err
			}
			if partitions < 1 || partitions > 1024 {
				return usageError{fmt.Errorf("--partitions %d: give 1 to 1024 partitions of the key space to list at once", partitions)}
			}
			manifests, err := inventoryFlag(inventory, quick, names)
			if err != nil {
				return usageError{err}
			}
			prices, err := estimate.Load(pricesFile)
			if err != nil {
				return usageError{err}
			}
			if err := checkEstimable(transfers, prices, quick); err != nil {
				return usageError{err}
			}
			s, err := f.session(cmd.Context())
			if err != nil {
				return err
			}
			e := &estimator{f: f, s: s, prices: prices, quick: quick, partitions: partitions, manifests: manifests, now: time.Now()}
			results := e.run(cmd.Context(), transfers)
			if asJSON {
				if err := writeEstimateJSON(f.stdout, prices, results); err != nil {
					return err
				}
			} else {
				printEstimates(f.stdout, prices, results)
			}
			if err := cmd.Context().Err(); err != nil {
				return exitError{exitInterrupted}
			}
			for _, r := range results {
				if r.Err != nil {
					return exitError{exitFailed}
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON for scripts ({\"prices\": {...}, \"transfers\": [...], \"totals\": {...}})")
	cmd.Flags().BoolVar(&quick, "quick", false, "use S3's daily CloudWatch storage metrics instead of listing (whole-bucket sources only; approximate)")
	cmd.Flags().StringVar(&pricesFile, "prices", "", "JSON file whose entries replace those of the price table ("+estimate.TableFile+"), e.g. a Region's prices")
	cmd.Flags().IntVar(&partitions, "partitions", 32, "partitions of the key space listed at once per transfer")
	cmd.Flags().StringVar(&inventory, "inventory", "", "read S3 Inventory reports instead of listing: SRC_MANIFEST,DST_MANIFEST (s3://bucket/.../manifest.json each; one transfer)")
	return cmd
}

// inventoryFlag checks --inventory: two manifests, for one named transfer, not with
// --quick. It returns them, or nil without the flag.
func inventoryFlag(flag string, quick bool, names []string) ([]string, error) {
	if flag == "" {
		return nil, nil
	}
	var problems []string
	manifests := strings.Split(flag, ",")
	if len(manifests) != 2 {
		problems = append(problems, fmt.Sprintf("--inventory %q: give two manifests, SRC_MANIFEST,DST_MANIFEST", flag))
	}
	for _, m := range manifests {
		if !strings.HasPrefix(m, "s3://") || !strings.HasSuffix(m, "/manifest.json") {
			problems = append(problems, fmt.Sprintf("--inventory: %q is not s3://BUCKET/.../manifest.json", m))
		}
	}
	if len(names) != 1 {
		problems = append(problems, fmt.Sprintf("--inventory reads the reports of one transfer: name exactly one (%d named)", len(names)))
	}
	if quick {
		problems = append(problems, "--inventory and --quick: choose one")
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return manifests, nil
}

// checkEstimable reports, all at once, what makes the transfers impossible to
// estimate before anything is listed: Regions without prices, --quick on prefixes.
func checkEstimable(ts []spec.Transfer, p *estimate.Prices, quick bool) error {
	var problems []string
	seen := map[string]bool{}
	for _, t := range ts {
		for _, r := range []string{t.Source.Region, t.Destination.Region} {
			if _, err := p.Region(r); err != nil && !seen[r] {
				seen[r] = true
				problems = append(problems, fmt.Sprintf("transfer %s: %v", t.Name, err))
			}
		}
		if quick {
			if err := estimate.QuickAllowed(t); err != nil {
				problems = append(problems, err.Error())
			}
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n"))
	}
	return nil
}

// estimateResult is one transfer's estimate, or why there is none.
type estimateResult struct {
	Transfer string             `json:"transfer"`
	Estimate *estimate.Estimate `json:"estimate,omitempty"`
	// LastRunNote says why there are no last-run figures (not deployed, never ran).
	LastRunNote string `json:"lastRunNote,omitempty"`
	Error       string `json:"error,omitempty"`
	Err         error  `json:"-"`
}

type estimator struct {
	f          *flags
	s          *operate.Session
	prices     *estimate.Prices
	quick      bool
	partitions int
	manifests  []string // --inventory: the source's and the destination's
	now        time.Time
}

// run estimates the transfers one after the other (each listing is itself parallel).
func (e *estimator) run(ctx context.Context, ts []spec.Transfer) []estimateResult {
	out := make([]estimateResult, len(ts))
	for i, t := range ts {
		if ctx.Err() != nil {
			out[i] = estimateResult{Transfer: t.Name, Err: ctx.Err(), Error: "interrupted"}
			continue
		}
		out[i] = e.one(ctx, t)
	}
	return out
}

func (e *estimator) one(ctx context.Context, t spec.Transfer) estimateResult {
	r := estimateResult{Transfer: t.Name}
	fail := func(err error) estimateResult {
		r.Err, r.Error = err, err.Error()
		return r
	}
	var d *estimate.Data
	var err error
	if e.quick {
		d, err = e.metrics(ctx, t)
	} else {
		d, err = e.list(ctx, t)
	}
	if err != nil {
		return fail(err)
	}
	est, err := estimate.Compute(t, d, e.prices)
	if err != nil {
		return fail(err)
	}
	r.Estimate = est
	if d.Approximate {
		est.Notes = append(est.Notes, fmt.Sprintf("Approximate: from S3's daily storage metrics of the whole bucket %s as of %s UTC (%s old), "+
			"every object at the average size, one directory assumed; objects already at the destination are not subtracted. "+
			"S3's NumberOfObjects and BucketSizeBytes also count noncurrent versions and the parts of incomplete multipart uploads, "+
			"which DataSync does not copy: a versioned bucket is overstated.",
			t.Source.Bucket, d.AsOf.UTC().Format("2006-01-02 15:04"), e.now.Sub(d.AsOf).Round(time.Hour)))
	}
	lr, note := e.lastRun(ctx, t)
	if lr != nil {
		est.LastRun = lr
		est.FirstRunDuration = estimate.FirstRunDuration(d, lr)
	}
	r.LastRunNote = note
	return r
}

// list lists both locations with progress on stderr.
func (e *estimator) list(ctx context.Context, t spec.Transfer) (*estimate.Data, error) {
	src, err := e.s.S3(ctx, t.Source.Account, t.Source.Region)
	if err != nil {
		return nil, err
	}
	dst, err := e.s.S3(ctx, t.Destination.Account, t.Destination.Region)
	if err != nil {
		return nil, err
	}
	counters := &listing.Counters{}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { e.progress(t.Name, counters, done) })
	var reports *estimate.Reports
	if e.manifests != nil {
		reports = &estimate.Reports{Source: &listing.Inventory{Client: src, Manifest: e.manifests[0]},
			Destination: &listing.Inventory{Client: dst, Manifest: e.manifests[1]}}
	}
	d, err := estimate.FromListing(ctx, t, src, dst, reports, e.prices.Assumptions, listing.Options{Partitions: e.partitions, Counters: counters})
	close(done)
	wg.Wait()
	if err != nil {
		side := t.Destination
		bucket, account, region := side.Bucket, side.Account, side.Region
		if strings.Contains(err.Error(), "s3://"+t.Source.Bucket+"/") {
			bucket, account, region = t.Source.Bucket, t.Source.Account, t.Source.Region
		}
		return nil, fmt.Errorf("transfer %s: %w", t.Name, e.s.ExplainS3(err, "ListObjectsV2", bucket, account, region))
	}
	fmt.Fprintf(e.f.stderr, "transfers: %s: listed %s source and %s destination objects in %s requests\n", t.Name,
		count(counters.Source.Load()), count(counters.Destination.Load()), count(counters.Requests.Load()))
	return d, nil
}

// progress prints the listing's figures on stderr every few seconds until done.
func (e *estimator) progress(name string, c *listing.Counters, done <-chan struct{}) {
	tick := time.NewTicker(3 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
			fmt.Fprintf(e.f.stderr, "transfers: %s: listing: %s source, %s destination objects, %s requests, %s partitions\n", name,
				count(c.Source.Load()), count(c.Destination.Load()), count(c.Requests.Load()), count(c.Partitions.Load()))
		}
	}
}

// metrics reads S3's storage metrics of the source bucket with the source account's
// credentials, in the bucket's Region.
func (e *estimator) metrics(ctx context.Context, t spec.Transfer) (*estimate.Data, error) {
	cfg, _, err := e.s.Config(ctx, t.Source.Account)
	if err != nil {
		return nil, err
	}
	cw := cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) { o.Region = t.Source.Region })
	d, err := estimate.FromMetrics(ctx, t, cw, e.prices.Assumptions, e.now)
	if err != nil {
		return nil, fmt.Errorf("transfer %s: CloudWatch GetMetricData in %s (account %s, profile %q): %w", t.Name, t.Source.Region, t.Source.Account, e.s.Profile(t.Source.Account), err)
	}
	return d, nil
}

// lastRun reads the task's latest execution; nil and a note when there is none.
func (e *estimator) lastRun(ctx context.Context, t spec.Transfer) (*estimate.LastRun, string) {
	task, err := e.s.FindTask(ctx, t)
	if err != nil {
		return nil, "no last run: " + err.Error()
	}
	d, err := e.s.Describe(ctx, task)
	if err != nil {
		return nil, "no last run: " + err.Error()
	}
	arn := aws.ToString(d.CurrentTaskExecutionArn)
	if arn == "" {
		return nil, "no last run: the task has never run"
	}
	ea, err := operate.ParseExecutionArn(arn)
	if err != nil {
		return nil, "no last run: " + err.Error()
	}
	p, err := e.s.Execution(ctx, ea)
	if err != nil {
		return nil, "no last run: " + err.Error()
	}
	return estimate.LastRunOf(p, e.now), ""
}

func writeEstimateJSON(w io.Writer, p *estimate.Prices, rs []estimateResult) error {
	var es []*estimate.Estimate
	for _, r := range rs {
		if r.Estimate != nil {
			es = append(es, r.Estimate)
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{
		"prices": map[string]any{"files": p.Files(), "read": p.Read, "source": p.Source, "currency": p.Currency,
			"regions": regionsProvenance(p, rs)},
		"transfers": rs,
		"totals":    estimate.Sum(es),
		"notAQuote": "An estimate, not a quote: free tiers, discounts, taxes and the change rate between scheduled runs are not in it.",
	})
}

func printEstimates(w io.Writer, p *estimate.Prices, rs []estimateResult) {
	var es []*estimate.Estimate
	for _, r := range rs {
		if r.Err != nil {
			fmt.Fprintf(w, "transfer %s: NOT ESTIMATED: %s\n\n", r.Transfer, r.Error)
			continue
		}
		es = append(es, r.Estimate)
		printEstimate(w, r)
		fmt.Fprintln(w)
	}
	t := estimate.Sum(es)
	fmt.Fprintln(w, "Totals per account (USD):")
	for _, a := range slices.Sorted(maps.Keys(union(t.FirstRun, t.Monthly))) {
		fmt.Fprintf(w, "  account %s: first run %s, then %s a month\n", a, estimate.Money(t.FirstRun[a]), estimate.Money(t.Monthly[a]))
	}
	published := ""
	if p.Published != "" {
		published = ", as AWS published them " + p.Published
	}
	fmt.Fprintf(w, "\nPrices: %s, read %s%s (%s). An estimate, not a quote: free tiers, discounts, taxes and the change rate\n"+
		"between scheduled runs are not in it.\n", p.Files(), p.Read, published, p.Currency)
	for _, r := range usedRegions(rs) {
		if s := p.Provenance(r); s != "" {
			fmt.Fprintf(w, "  %s\n", s)
		}
	}
}

// usedRegions are the Regions the estimates priced lines in, sorted.
func usedRegions(rs []estimateResult) []string {
	seen := map[string]bool{}
	for _, r := range rs {
		if r.Estimate == nil {
			continue
		}
		for _, l := range r.Estimate.Lines {
			if l.Region != "" {
				seen[l.Region] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// regionsProvenance are the date and source of each Region priced with its own
// (not the table's), for --json.
func regionsProvenance(p *estimate.Prices, rs []estimateResult) map[string]string {
	out := map[string]string{}
	for _, r := range usedRegions(rs) {
		if s := p.Provenance(r); s != "" {
			out[r] = s
		}
	}
	return out
}

func union(a, b map[string]float64) map[string]float64 {
	out := maps.Clone(a)
	maps.Copy(out, b)
	return out
}

func printEstimate(w io.Writer, r estimateResult) {
	e := r.Estimate
	d := e.Data
	fmt.Fprintf(w, "transfer %s: %s mode, transferMode %s, into %s\n", e.Transfer, e.Mode, e.TransferMode, e.StorageClass)
	fmt.Fprintf(w, "  source account %s pays DataSync, the source's requests and inter-Region transfer; destination account %s pays the destination's requests and storage\n",
		e.SourceAccount, e.DestinationAccount)
	from := d.From
	switch {
	case d.Approximate:
		from = "S3 storage metrics, approximate"
	case from == "inventory":
		from = "S3 Inventory reports"
	}
	fmt.Fprintf(w, "  data (%s): %s to copy; %s objects listed at the source, %s at the destination\n", from, d, count(d.Listed), count(d.DestinationListed))
	var sizes []string
	for _, b := range d.Sizes {
		if b.Objects > 0 {
			sizes = append(sizes, fmt.Sprintf("%s: %s (%s)", b.Label, count(b.Objects), estimate.Bytes(b.Bytes)))
		}
	}
	if len(sizes) > 0 {
		fmt.Fprintf(w, "  sizes: %s\n", strings.Join(sizes, "; "))
	}
	var classes []string
	for _, c := range slices.Sorted(maps.Keys(d.Classes)) {
		classes = append(classes, fmt.Sprintf("%s: %s (%s)", c, count(d.Classes[c].Objects), estimate.Bytes(d.Classes[c].Bytes)))
	}
	if len(classes) > 0 {
		fmt.Fprintf(w, "  source storage classes: %s\n", strings.Join(classes, "; "))
	}
	for _, phase := range []string{estimate.FirstRun, estimate.Monthly} {
		title := "  first run:"
		if phase == estimate.Monthly {
			title = "  each month afterwards:"
			if e.Schedule != "" {
				title = fmt.Sprintf("  each month afterwards (schedule %s: %s runs):", e.Schedule, trimFloat(e.RunsPerMonth))
			}
		}
		fmt.Fprintln(w, title)
		for _, l := range e.Lines {
			if l.Phase == phase {
				fmt.Fprintf(w, "    %-11s %s %s, %s: %s\n", "["+l.Pays+"]", l.Service, l.Item, l.Region, l.Formula)
			}
		}
		totals := e.FirstRunTotal
		if phase == estimate.Monthly {
			totals = e.MonthlyTotal
		}
		fmt.Fprintf(w, "    total: source account %s %s, destination account %s %s\n", e.SourceAccount, estimate.Money(totals[e.SourceAccount]),
			e.DestinationAccount, estimate.Money(totals[e.DestinationAccount]))
	}
	if lr := e.LastRun; lr != nil {
		fmt.Fprintf(w, "  last run (%s): %s objects, %s in %s, %s, %.1f objects/s\n", lr.Status, count(lr.Objects), size(lr.Bytes),
			duration(time.Duration(lr.DurationSeconds*float64(time.Second))), rate(lr.BytesPerSecond), lr.ObjectsPerSec)
		if fd := e.FirstRunDuration; fd != nil {
			fmt.Fprintf(w, "  first run at the last run's rate: about %s (%s)\n", duration(time.Duration(fd.Seconds*float64(time.Second))), fd.Formula)
		}
	} else if r.LastRunNote != "" {
		fmt.Fprintf(w, "  %s\n", r.LastRunNote)
	}
	for _, t := range e.Traps {
		fmt.Fprintf(w, "  cost trap: %s\n", t)
	}
	for _, n := range e.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
}

func trimFloat(v float64) string {
	if v == float64(int64(v)) {
		return count(int64(v))
	}
	return fmt.Sprintf("%.1f", v)
}
