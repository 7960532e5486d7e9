package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/s3transfer/cdk-datasync/app/estimate"
	"github.com/s3transfer/cdk-datasync/app/estimate/pricelist"
	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

// pricesParallel is how many Regions are read from the price list at once (each
// reads its five offer files one after the other).
const pricesParallel = 4

func newPrices(f *flags) *cobra.Command {
	var all bool
	var out, base string
	cmd := &cobra.Command{
		Use:   "prices [REGION...] [--all] [-o FILE]",
		Short: "Build the estimate's price table for Regions from AWS's public price list",
		Long: `prices reads AWS's public price list (the Price List Bulk API's offer files, no credentials
needed) for each Region named, or for every Region of the Region table with --all, and writes a
price table shaped like ` + estimate.TableFile + `: a complete table and a valid --prices file for
estimate. It reads, per Region,

  <price-list-url>/offers/v1.0/aws/<OFFER>/current/<REGION>/index.json

for the offers AWSDataSync, AmazonS3, AmazonS3GlacierDeepArchive (optional when AmazonS3 prices
S3 Glacier Deep Archive), awskms and AWSDataTransfer, and takes each figure from one usage type
(docs/estimating-cost.md, "Prices per Region", has the mapping). Each Region records the files,
their version and publication date, and the usage type of each figure.

China and the isolated partitions are not in AWS's USD price list: they are reported, not read
(--all leaves them out). A Region that cannot be priced (a file missing, an unexpected unit,
several prices for one figure) is listed in the table's notPriced with the reason, also printed
on stderr.

-o FILE is written only when at least one Region was priced (through a temporary file, checked
as a --prices file, then renamed): without network access to the price list FILE stays as it
was. Without -o the table goes to stdout.

Exit status 0 when every Region asked for was priced, 1 when some could not be (the table is
still written with the others), 2 for a bad command line (a Region the Region table does not
know; neither REGION nor --all).`,
		Args: args(cobra.ArbitraryArgs),
		RunE: func(cmd *cobra.Command, regions []string) error {
			todo, notPriced, err := pricesRegions(regions, all, base)
			if err != nil {
				return usageError{err}
			}
			table, err := estimate.Table()
			if err != nil {
				return err
			}
			b := &pricelist.Builder{Client: &pricelist.Client{Base: base}, Today: time.Now().UTC().Format("2006-01-02")}
			priced, failed := readPrices(cmd.Context(), b, todo, f)
			if err := cmd.Context().Err(); err != nil {
				return exitError{exitInterrupted}
			}
			for r, why := range failed {
				notPriced[r] = why
			}
			p := estimate.Prices{
				Read:        b.Today,
				Currency:    "USD",
				Source:      "AWS Price List Bulk API (" + b.Client.URL("<offer>", "<region>") + "), offers " + strings.Join(pricelist.Offers, ", ") + ", read by `transfers prices`; per Region: its offers and usageTypes",
				Assumptions: table.Assumptions,
				Regions:     priced,
				NotPriced:   notPriced,
			}
			if err := writePrices(f, &p, out); err != nil {
				return err
			}
			if len(failed) > 0 || len(priced) < len(todo) {
				return exitError{exitFailed}
			}
			for _, r := range regions {
				if _, ok := notPriced[r]; ok {
					return exitError{exitFailed} // a Region asked for that the price list does not have
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "every Region of the Region table but China and the isolated partitions")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the table to FILE (default: stdout)")
	cmd.Flags().StringVar(&base, "price-list-url", pricelist.DefaultBase, "the Price List Bulk API's address")
	return cmd
}

// pricesRegions checks the command line and returns the Regions to read and those
// reported without reading (China, isolated partitions) with the reason.
func pricesRegions(regions []string, all bool, base string) ([]string, map[string]string, error) {
	var problems []string
	if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		problems = append(problems, fmt.Sprintf("--price-list-url %q: give the price list's http(s) address, e.g. %s", base, pricelist.DefaultBase))
	}
	if all && len(regions) > 0 {
		problems = append(problems, "give REGION... or --all, not both")
	}
	if !all && len(regions) == 0 {
		problems = append(problems, "name the Regions to price (prices eu-west-1 ...) or give --all")
	}
	var unknown []string
	for _, r := range regions {
		if !spec.KnownRegion(r) {
			unknown = append(unknown, fmt.Sprintf("%q", r))
		}
	}
	if len(unknown) > 0 {
		problems = append(problems, fmt.Sprintf("%s: not a Region of the Region table; the allowed Regions are %s",
			strings.Join(unknown, ", "), strings.Join(spec.KnownRegions(), ", ")))
	}
	if len(problems) > 0 {
		return nil, nil, errors.New(strings.Join(problems, "; "))
	}
	if all {
		regions = spec.KnownRegions()
	}
	notPriced := map[string]string{}
	var todo []string
	for _, r := range regions {
		if why, ok := pricelist.Unpriceable(r); ok {
			notPriced[r] = why
			continue
		}
		if !slices.Contains(todo, r) {
			todo = append(todo, r)
		}
	}
	return todo, notPriced, nil
}

// readPrices builds the Regions' prices, a few at once, saying on stderr what
// became of each.
func readPrices(ctx context.Context, b *pricelist.Builder, regions []string, f *flags) (map[string]*estimate.RegionPrices, map[string]string) {
	priced := map[string]*estimate.RegionPrices{}
	failed := map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, pricesParallel)
	for _, r := range regions {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if ctx.Err() != nil {
				return
			}
			rp, err := b.Region(ctx, r)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed[r] = fmt.Sprintf("could not be priced from AWS's price list on %s: %v", b.Today, err)
				fmt.Fprintf(f.stderr, "transfers: prices: %s: NOT PRICED: %v\n", r, err)
				return
			}
			priced[r] = rp
			fmt.Fprintf(f.stderr, "transfers: prices: %s: priced (%s)\n", r, rp.Name)
		})
	}
	wg.Wait()
	return priced, failed
}

// writePrices writes the table to stdout, or to out through a temporary file that
// must load as a --prices file, when at least one Region was priced.
func writePrices(f *flags, p *estimate.Prices, out string) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return err
	}
	if out == "" {
		_, err := f.stdout.Write(buf.Bytes())
		return err
	}
	if len(p.Regions) == 0 {
		fmt.Fprintf(f.stderr, "transfers: prices: no Region could be priced: %s not written (left as it was)\n", out)
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*.tmp")
	if err != nil {
		return fmt.Errorf("-o %s: %w", out, err)
	}
	defer os.Remove(tmp.Name()) // after the rename, nothing is there
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return fmt.Errorf("-o %s: %w", out, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("-o %s: %w", out, err)
	}
	if _, err := estimate.Load(tmp.Name()); err != nil {
		return fmt.Errorf("the table made is not a usable prices file, %s not written: %w", out, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("-o %s: %w", out, err)
	}
	fmt.Fprintf(f.stderr, "transfers: prices: wrote %s: %d Regions priced, %d not priced\n", out, len(p.Regions), len(p.NotPriced))
	return nil
}
