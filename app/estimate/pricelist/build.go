package pricelist

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/s3transfer/cdk-datasync/app/estimate"
	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

// Unpriceable says why a Region of the Region table is not in AWS's price list in
// USD (China, the isolated partitions), and false for the others.
func Unpriceable(region string) (string, bool) {
	partition, _, _ := spec.RegionFacts(region)
	switch {
	case partition == "aws-cn":
		return "China Regions are priced in CNY by their local operators, not in AWS's public price list in USD", true
	case strings.HasPrefix(partition, "aws-iso"):
		return "an isolated (classified) partition: AWS publishes no prices for it", true
	}
	return "", false
}

// RegionError is every reason a Region could not be priced.
type RegionError struct {
	Region   string
	Problems []string
}

func (e *RegionError) Error() string { return strings.Join(e.Problems, "; ") }

// Builder builds Regions' prices from the price list.
type Builder struct {
	Client *Client
	// Today is the date the prices are read (YYYY-MM-DD).
	Today string
}

// fetched is an offer file read for a Region, or why not.
type fetched struct {
	name  string
	url   string
	offer *Offer
	err   error
}

// Region reads the Region's offer files and builds its prices, or returns a
// *RegionError with every problem at once.
func (b *Builder) Region(ctx context.Context, region string) (*estimate.RegionPrices, error) {
	rerr := &RegionError{Region: region}
	if why, ok := Unpriceable(region); ok {
		rerr.Problems = append(rerr.Problems, why)
		return nil, rerr
	}
	rp := &estimate.RegionPrices{Name: region, S3: map[string]estimate.Class{}, Read: b.Today,
		Source:     "AWS Price List Bulk API (" + b.Client.URL("<offer>", region) + "), read by `transfers prices`",
		UsageTypes: map[string]string{}}
	for _, c := range estimate.StorageClasses {
		rp.S3[c] = estimate.Class{}
	}
	files := map[string]*fetched{}
	for _, name := range Offers {
		f := &fetched{name: name, url: b.Client.URL(name, region)}
		f.offer, f.err = b.Client.Fetch(ctx, name, region)
		files[name] = f
		switch {
		case f.err == nil:
			rp.Offers = append(rp.Offers, estimate.OfferFile{Offer: name, URL: f.url, Version: f.offer.Version, PublicationDate: f.offer.PublicationDate})
		case name == OfferDeepArchive && IsNotFound(f.err):
			// not an error by itself: Deep Archive's usage types are also looked up in AmazonS3
			rp.Offers = append(rp.Offers, estimate.OfferFile{Offer: name, URL: f.url, Note: f.err.Error() + ": S3 Glacier Deep Archive looked up in " + OfferS3})
		default:
			rerr.Problems = append(rerr.Problems, fmt.Sprintf("offer %s: %v", name, f.err))
			var ne *NetworkError
			if errors.As(f.err, &ne) {
				// the others would fail the same way
				rerr.Problems[len(rerr.Problems)-1] += "; the other offers were not read"
				return nil, rerr
			}
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	for _, fig := range Mapping {
		var offers []*fetched
		usable := true
		for _, name := range fig.Offers {
			f := files[name]
			if f.err != nil && !(name == OfferDeepArchive && IsNotFound(f.err)) {
				usable = false // already reported
			}
			offers = append(offers, f)
		}
		if !usable {
			continue
		}
		v, prov, location, err := figure(fig, offers, region)
		if err != nil {
			rerr.Problems = append(rerr.Problems, err.Error())
			continue
		}
		fig.set(rp, v)
		rp.UsageTypes[fig.Path] = prov
		if fig.Path == "s3.STANDARD.storagePerGBMonth" && location != "" {
			rp.Name = location
		}
	}
	if f := files[OfferDataTransfer]; f.err == nil {
		if err := interRegion(rp, f, region); err != nil {
			rerr.Problems = append(rerr.Problems, err.Error())
		}
	}
	if len(rerr.Problems) > 0 {
		return nil, rerr
	}
	return rp, nil
}

// matchesUsageType: the usage type is the suffix itself (no billing code, as in
// US East (N. Virginia)), "<CODE>-<suffix>" with CODE a Region billing code: upper
// case letters and digits, no '-' (EU, EUW2, USE1, APN1, UGW1), so that
// "Tables-Requests-Tier1" or "EU-Tables-Requests-Tier1" is not "Requests-Tier1"; or
// "<region>-<suffix>": KMS names its usage types with the Region's code
// ("eu-central-1-KMS-Requests", as in published cost reports and price list
// queries).
func matchesUsageType(usageType, suffix, region string) bool {
	if usageType == suffix || usageType == region+"-"+suffix {
		return true
	}
	code, ok := strings.CutSuffix(usageType, "-"+suffix)
	if !ok || code == "" {
		return false
	}
	for _, r := range code {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// candidate is one product's price for a figure.
type candidate struct {
	offer, sku, usageType, location string
	unitPrice                       float64
	unit, tier                      string
}

// figure finds the figure's one price in the offers.
func figure(fig Figure, offers []*fetched, region string) (float64, string, string, error) {
	var found []candidate
	var problems []string
	for _, f := range offers {
		if f.offer == nil {
			continue
		}
		for _, sku := range slices.Sorted(maps.Keys(f.offer.Products)) {
			p := f.offer.Products[sku]
			ut := p.Attributes["usagetype"]
			if !matchesUsageType(ut, fig.UsageType, region) {
				continue
			}
			if rc, ok := p.Attributes["regionCode"]; ok && rc != region {
				continue
			}
			price, unit, tier, err := onDemand(f.offer, sku)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: %s %s (SKU %s, %s): %v", fig.Path, f.name, ut, sku, f.url, err))
				continue
			}
			if !slices.Contains(fig.Units, unit) {
				problems = append(problems, fmt.Sprintf("%s: %s %s (SKU %s, %s) is priced per %q, not in a unit this figure is read in (%s)",
					fig.Path, f.name, ut, sku, f.url, unit, strings.Join(fig.Units, ", ")))
				continue
			}
			found = append(found, candidate{offer: f.name, sku: sku, usageType: ut, location: p.Attributes["location"], unitPrice: price, unit: unit, tier: tier})
		}
	}
	if len(problems) > 0 {
		return 0, "", "", fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	if len(found) == 0 {
		var where []string
		for _, f := range offers {
			s := fmt.Sprintf("offer %s (%s)", f.name, f.url)
			if f.err != nil {
				s = fmt.Sprintf("offer %s (%v)", f.name, f.err)
			}
			where = append(where, s)
		}
		return 0, "", "", fmt.Errorf("%s: no product with usage type %s (or <billing code>-%s) for Region %s in %s",
			fig.Path, fig.UsageType, fig.UsageType, region, strings.Join(where, " or "))
	}
	c := found[0]
	for _, o := range found[1:] {
		if o.unitPrice != c.unitPrice {
			var list []string
			for _, f := range found {
				list = append(list, fmt.Sprintf("%s SKU %s %s $%s per %s", f.offer, f.sku, f.usageType, usd(f.unitPrice), f.unit))
			}
			return 0, "", "", fmt.Errorf("%s: products of usage type %s with different prices for Region %s: %s",
				fig.Path, fig.UsageType, region, strings.Join(list, ", "))
		}
	}
	v := round(c.unitPrice * fig.Per)
	prov := fmt.Sprintf("%s %s: $%s per %s", c.offer, c.usageType, usd(c.unitPrice), c.unit)
	if fig.Per != 1 {
		prov += fmt.Sprintf(" × %s", strconv.FormatFloat(fig.Per, 'f', -1, 64))
	}
	if c.tier != "" {
		prov += ", " + c.tier
	}
	return v, prov, c.location, nil
}

// onDemand is a SKU's OnDemand price per unit: one price whatever the term.
func onDemand(o *Offer, sku string) (float64, string, string, error) {
	terms := o.Terms.OnDemand[sku]
	if len(terms) == 0 {
		return 0, "", "", fmt.Errorf("no OnDemand term")
	}
	var price float64
	var unit, tier string
	var seen []string
	for i, code := range slices.Sorted(maps.Keys(terms)) {
		p, u, t, err := pickTier(terms[code].PriceDimensions)
		if err != nil {
			return 0, "", "", fmt.Errorf("term %s: %w", code, err)
		}
		seen = append(seen, fmt.Sprintf("term %s $%s per %s", code, usd(p), u))
		if i == 0 {
			price, unit, tier = p, u, t
		} else if p != price || u != unit {
			return 0, "", "", fmt.Errorf("OnDemand terms with different prices: %s", strings.Join(seen, ", "))
		}
	}
	return price, unit, tier, nil
}

// pickTier takes the tier that starts at 0: the model prices the first tier (the
// table's "first 50 TB"). When that tier is free (a free tier), the next one is
// taken, and the returned note says so.
func pickTier(dims map[string]Dimension) (float64, string, string, error) {
	if len(dims) == 0 {
		return 0, "", "", fmt.Errorf("no price dimensions")
	}
	type tier struct {
		d          Dimension
		begin, end float64
		price      float64
	}
	var tiers []tier
	for _, rate := range slices.Sorted(maps.Keys(dims)) {
		d := dims[rate]
		t := tier{d: d, end: math.Inf(1)}
		var err error
		if d.Begin() != "" {
			if t.begin, err = rangeValue(d.Begin()); err != nil {
				return 0, "", "", fmt.Errorf("rate %s: beginRange %q is not a number", rate, d.Begin())
			}
		} else if len(dims) > 1 {
			return 0, "", "", fmt.Errorf("rate %s: no beginRange among %d tiers", rate, len(dims))
		}
		if d.End() != "" {
			if t.end, err = rangeValue(d.End()); err != nil {
				return 0, "", "", fmt.Errorf("rate %s: endRange %q is not a number", rate, d.End())
			}
		}
		s, ok := d.PricePerUnit["USD"]
		if !ok {
			return 0, "", "", fmt.Errorf("rate %s: no USD price (pricePerUnit has %s)", rate, strings.Join(slices.Sorted(maps.Keys(d.PricePerUnit)), ", "))
		}
		if t.price, err = strconv.ParseFloat(s, 64); err != nil || t.price < 0 {
			return 0, "", "", fmt.Errorf("rate %s: USD price %q is not a price", rate, s)
		}
		tiers = append(tiers, t)
	}
	var firsts []tier
	for _, t := range tiers {
		if t.begin == 0 {
			firsts = append(firsts, t)
		}
	}
	if len(firsts) != 1 {
		return 0, "", "", fmt.Errorf("%d tiers start at 0, want 1", len(firsts))
	}
	t := firsts[0]
	note := ""
	if !math.IsInf(t.end, 1) {
		note = fmt.Sprintf("tier 0–%s %s", num(t.end), t.d.Unit)
	}
	if t.price == 0 && !math.IsInf(t.end, 1) {
		for _, n := range tiers {
			if n.begin == t.end {
				if n.d.Unit != t.d.Unit {
					return 0, "", "", fmt.Errorf("the free tier is per %q, the next per %q", t.d.Unit, n.d.Unit)
				}
				note = fmt.Sprintf("0–%s %s free (a free tier): priced from the next tier, %s–%s", num(t.end), t.d.Unit, num(n.begin), num(n.end))
				t = n
				break
			}
		}
	}
	return t.price, t.d.Unit, note, nil
}

// interRegion sets the Region's inter-Region transfer prices from AWSDataTransfer.
func interRegion(rp *estimate.RegionPrices, f *fetched, region string) error {
	byDest := map[string][]candidate{}
	var problems []string
	for _, sku := range slices.Sorted(maps.Keys(f.offer.Products)) {
		p := f.offer.Products[sku]
		a := p.Attributes
		if a["transferType"] != InterRegion || a["fromRegionCode"] != region {
			continue
		}
		to := a["toRegionCode"]
		if to == region || !spec.KnownRegion(to) {
			continue // not a Region a transfer can go to
		}
		price, unit, tier, err := onDemand(f.offer, sku)
		if err == nil && !slices.Contains(unitsGB, unit) {
			err = fmt.Errorf("priced per %q, not per GB", unit)
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("interRegionPerGB: %s %s (SKU %s, to %s, %s): %v", f.name, a["usagetype"], sku, to, f.url, err))
			continue
		}
		byDest[to] = append(byDest[to], candidate{offer: f.name, sku: sku, usageType: a["usagetype"], unitPrice: price, unit: unit, tier: tier})
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	if len(byDest) == 0 {
		return fmt.Errorf("interRegionPerGB: no product with transferType %q and fromRegionCode %s in offer %s (%s)", InterRegion, region, f.name, f.url)
	}
	price := map[string]float64{}
	count := map[float64]int{}
	for _, to := range slices.Sorted(maps.Keys(byDest)) {
		cs := byDest[to]
		for _, c := range cs[1:] {
			if c.unitPrice != cs[0].unitPrice {
				var list []string
				for _, c := range cs {
					list = append(list, fmt.Sprintf("SKU %s %s $%s", c.sku, c.usageType, usd(c.unitPrice)))
				}
				problems = append(problems, fmt.Sprintf("interRegionPerGBTo.%s: products with different prices: %s", to, strings.Join(list, ", ")))
			}
		}
		price[to] = cs[0].unitPrice
		count[cs[0].unitPrice]++
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	// the most common price; of equally common ones, the higher (an estimate errs
	// towards the bill)
	var common float64
	best := 0
	for _, p := range slices.Sorted(maps.Keys(count)) {
		if count[p] >= best {
			common, best = p, count[p]
		}
	}
	rp.InterRegionPerGB = round(common)
	rp.InterRegionPerGBTo = map[string]float64{}
	for to, p := range price {
		if p != common {
			rp.InterRegionPerGBTo[to] = round(p)
		}
	}
	// a Region of the same partition the offer has no price to is named, never given
	// the common price
	part, _, _ := spec.RegionFacts(region)
	for _, to := range spec.KnownRegions() {
		if p, _, _ := spec.RegionFacts(to); p == part && to != region {
			if _, ok := price[to]; !ok {
				rp.InterRegionUnpriced = append(rp.InterRegionUnpriced, to)
			}
		}
	}
	rp.UsageTypes["interRegionPerGB"] = fmt.Sprintf("%s transferType %q from %s: $%s per GB to %d of %d destination Regions (the most common price; the others in interRegionPerGBTo)",
		f.name, InterRegion, region, usd(common), best, len(price))
	return nil
}

// round drops the float noise of a product (0.0000050000 × 1000).
func round(v float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 12, 64), 64)
	return r
}

func usd(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func num(v float64) string {
	if math.IsInf(v, 1) {
		return "Inf"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}
