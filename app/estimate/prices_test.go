package estimate

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

// Every Region the config's Region table allows is in the price table: priced, or
// named with the reason it is not (which estimate reports, naming the file).
func TestTableCoversEveryRegion(t *testing.T) {
	p, err := Table()
	if err != nil {
		t.Fatal(err)
	}
	if p.Read == "" || p.Source == "" {
		t.Errorf("the table lacks its date (%q) or source (%q)", p.Read, p.Source)
	}
	for _, r := range spec.KnownRegions() {
		_, priced := p.Regions[r]
		why, named := p.NotPriced[r]
		switch {
		case priced && named:
			t.Errorf("%s is both priced and not priced", r)
		case !priced && !named:
			t.Errorf("%s (allowed by the Region table) is missing from %s", r, TableFile)
		case named && why == "":
			t.Errorf("%s: no reason why it is not priced", r)
		}
	}
	for r := range p.Regions {
		if !spec.KnownRegion(r) {
			t.Errorf("%s is priced but not a Region the Region table knows", r)
		}
	}
}

func TestUnpricedRegionNamesTheFile(t *testing.T) {
	p, _ := Table()
	_, err := p.Region("ap-southeast-6")
	if !errors.Is(err, ErrNoPrices) {
		t.Fatalf("err = %v, want ErrNoPrices", err)
	}
	for _, want := range []string{"ap-southeast-6", TableFile, "--prices FILE", "read 2026-12-07",
		"`go run ./app/transfers prices ap-southeast-6 -o prices-ap-southeast-6.json`, then pass --prices prices-ap-southeast-6.json"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

// Strict for every Region the table could not source: estimating there is an error
// naming the Region, the table's file, --prices and the reason (what was searched
// and found, docs/estimating-cost.md), never a default price.
func TestUnpricedRegionsAreErrors(t *testing.T) {
	p, err := Table()
	if err != nil {
		t.Fatal(err)
	}
	unpriced := 0
	for _, r := range spec.KnownRegions() {
		if _, priced := p.Regions[r]; priced {
			continue
		}
		unpriced++
		rp, err := p.Region(r)
		if rp != nil || !errors.Is(err, ErrNoPrices) {
			t.Errorf("%s: prices %v, err %v; want ErrNoPrices", r, rp, err)
			continue
		}
		why := p.NotPriced[r]
		for _, want := range []string{"Region " + r + " ", TableFile, "--prices FILE", why} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: the error lacks %q: %v", r, want, err)
			}
		}
		if !strings.Contains(why, "pricing-page data of 2025-06-05") && !strings.Contains(why, "China") && !strings.Contains(why, "isolated") {
			t.Errorf("%s: the reason %q does not say what the table was made from", r, why)
		}
	}
	if unpriced+len(p.Regions) != len(spec.KnownRegions()) {
		t.Errorf("%d unpriced + %d priced != %d Regions", unpriced, len(p.Regions), len(spec.KnownRegions()))
	}
}

// Every priced Region has every figure the model uses, and none is zero: a zero
// would be a price read wrongly (every figure of the model costs something in
// every Region AWS prices), not a free service.
func TestTablePricesEveryFigure(t *testing.T) {
	p, err := Table()
	if err != nil {
		t.Fatal(err)
	}
	if p.Published == "" {
		t.Error("the table does not say when AWS published its prices")
	}
	for r, rp := range p.Regions {
		raw, _ := json.Marshal(rp)
		var m map[string]any
		json.Unmarshal(raw, &m)
		var zero []string
		var walk func(path string, v any)
		walk = func(path string, v any) {
			switch v := v.(type) {
			case map[string]any:
				for k, w := range v {
					walk(path+"."+k, w)
				}
			case float64:
				if v == 0 {
					zero = append(zero, path)
				}
			}
		}
		walk(r, m)
		if len(zero) > 0 {
			t.Errorf("zero prices: %v", zero)
		}
		for _, c := range []string{"STANDARD_IA", "ONEZONE_IA", "GLACIER_IR"} {
			if rp.S3[c].RetrievalPerGB == 0 {
				t.Errorf("%s: %s has no retrieval fee", r, c)
			}
		}
	}
}

func writeFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "prices.json")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPricesOverride(t *testing.T) {
	// one price changed, one Region added from another's keys
	p, _ := Table()
	ue1 := p.Regions["us-east-1"]
	path := writeFile(t, `{"regions": {"us-east-1": {"datasync": {"enhancedPerExecution": 0.6}},
		"ap-southeast-6": {"name": "test", "datasync": {"basicPerGB": 0.0125, "enhancedPerGB": 0.015, "enhancedPerExecution": 0.55},
		  "s3": {"STANDARD": {"storagePerGBMonth": 0.023, "putPer1000": 0.005, "getPer1000": 0.0004},
		    "INTELLIGENT_TIERING": {"storagePerGBMonth": 0.023, "putPer1000": 0.005, "getPer1000": 0.0004},
		    "STANDARD_IA": {"storagePerGBMonth": 0.0125, "putPer1000": 0.01, "getPer1000": 0.001},
		    "ONEZONE_IA": {"storagePerGBMonth": 0.01, "putPer1000": 0.01, "getPer1000": 0.001},
		    "GLACIER_IR": {"storagePerGBMonth": 0.004, "putPer1000": 0.02, "getPer1000": 0.01},
		    "GLACIER": {"storagePerGBMonth": 0.0036, "putPer1000": 0.03, "getPer1000": 0.0004},
		    "DEEP_ARCHIVE": {"storagePerGBMonth": 0.00099, "putPer1000": 0.05, "getPer1000": 0.0004}},
		  "s3ListPer1000": 0.005, "kmsPer10000Requests": 0.03, "interRegionPerGB": 0.02}}}`)
	o, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := o.Regions["us-east-1"].DataSync.EnhancedPerExecution; got != 0.6 {
		t.Errorf("overridden execution fee %v, want 0.6", got)
	}
	if got := o.Regions["us-east-1"].DataSync.EnhancedPerGB; got != ue1.DataSync.EnhancedPerGB {
		t.Errorf("an entry not overridden changed: %v", got)
	}
	if _, err := o.Region("ap-southeast-6"); err != nil {
		t.Errorf("added Region: %v", err)
	}
	if !strings.Contains(o.Files(), path) {
		t.Errorf("Files() = %q does not name the override", o.Files())
	}
}

func TestBrokenPricesFile(t *testing.T) {
	for name, tc := range map[string]struct{ text, want string }{
		"not JSON":       {`{"regions": `, "is not a JSON object shaped like " + TableFile},
		"unknown key":    {`{"regions": {"us-east-1": {"datasync": {"enhancedPerTB": 0.02}}}}`, `unknown field "enhancedPerTB"`},
		"negative price": {`{"regions": {"us-east-1": {"s3ListPer1000": -1}}}`, "regions.us-east-1.s3ListPer1000: -1 is negative"},
		"missing class":  {`{"regions": {"ap-southeast-6": {"s3": {"STANDARD": {"storagePerGBMonth": 0.023}}}}}`, "regions.ap-southeast-6.s3.DEEP_ARCHIVE: missing"},
		"wrong type":     {`{"read": 2026}`, "cannot unmarshal number"},
		"unknown class":  {`{"regions": {"us-east-1": {"s3": {"EXPRESS_ONEZONE": {}}}}}`, "EXPRESS_ONEZONE: not a storage class DataSync writes"},
	} {
		t.Run(name, func(t *testing.T) {
			path := writeFile(t, tc.text)
			_, err := Load(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Errorf("err = %v, want one naming %s and saying %q", err, path, tc.want)
			}
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: %v", err)
	}
}

// A file with its own date (a table made by `transfers prices`) re-dates the
// table's top level; the table's Regions keep their date and source, and the
// file's Region its own.
func TestPricesFileWithItsOwnDate(t *testing.T) {
	p, _ := Table()
	eu := *p.Regions["us-east-2"]
	eu.Name, eu.Read, eu.Source = "test copy", "2027-01-15", "a test source"
	raw, _ := json.Marshal(map[string]any{"read": "2027-01-15", "source": "a test table", "regions": map[string]any{"eu-west-1": eu}})
	o, err := Load(writeFile(t, string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if o.Read != "2027-01-15" {
		t.Errorf("read %q", o.Read)
	}
	if got := o.Provenance("us-east-1"); !strings.HasPrefix(got, "us-east-1 read 2026-12-07 from "+p.Source) {
		t.Errorf("us-east-1: %q, want the built-in table's date and source", got)
	}
	if got := o.Provenance("eu-west-1"); got != "eu-west-1 read 2027-01-15 from a test source" {
		t.Errorf("eu-west-1: %q", got)
	}
	// without a date of its own, the table's Regions are the table's: nothing to say
	if got, _ := Table(); got.Provenance("us-east-1") != "" {
		t.Errorf("built-in table: %q", got.Provenance("us-east-1"))
	}
}
