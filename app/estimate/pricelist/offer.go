// Package pricelist builds a Region's entry of the estimate's price table
// (estimate.RegionPrices) from AWS's public price list: the Price List Bulk API's
// offer files, which need no credentials,
//
//	<base>/offers/v1.0/aws/<OFFER>/current/<region>/index.json
//
// for the offers AWSDataSync, AmazonS3, AmazonS3GlacierDeepArchive, awskms and
// AWSDataTransfer. Every figure comes from one usage type of one offer (Mapping),
// with its unit checked: a unit the mapping does not expect, several products or
// terms with different prices, or no product at all is an error, never a guess.
package pricelist

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	neturl "net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultBase is the host of AWS's Price List Bulk API.
const DefaultBase = "https://pricing.us-east-1.amazonaws.com"

// The offers the price table is built from.
const (
	OfferDataSync     = "AWSDataSync"
	OfferS3           = "AmazonS3"
	OfferDeepArchive  = "AmazonS3GlacierDeepArchive"
	OfferKMS          = "awskms"
	OfferDataTransfer = "AWSDataTransfer"
)

// Offers are the offers read for every Region, in the order they are fetched.
var Offers = []string{OfferDataSync, OfferS3, OfferDeepArchive, OfferKMS, OfferDataTransfer}

// Offer is a service price list file in JSON, as AWS documents it in "Reading the
// service price list file for an AWS service"
// (https://docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/reading-service-price-list-file-for-services.html):
// file details (formatVersion, offerCode, version, publicationDate), products by
// SKU (sku, productFamily, attributes) and terms by type, SKU and
// "sku.offerTermCode", each with its price dimensions by rate code. Only OnDemand
// terms are read: Reserved and FlatRate do not apply to what the estimate prices.
type Offer struct {
	FormatVersion   string             `json:"formatVersion"`
	Disclaimer      string             `json:"disclaimer"`
	OfferCode       string             `json:"offerCode"`
	Version         string             `json:"version"`
	PublicationDate string             `json:"publicationDate"`
	Products        map[string]Product `json:"products"`
	Terms           struct {
		OnDemand map[string]map[string]Term `json:"OnDemand"`
	} `json:"terms"`
}

// Product is one SKU and its attributes (usagetype, regionCode, location,
// fromRegionCode, toRegionCode, transferType, ...).
type Product struct {
	SKU           string            `json:"sku"`
	ProductFamily string            `json:"productFamily"`
	Attributes    map[string]string `json:"attributes"`
}

// Term is one offer term of a SKU: its price dimensions by rate code.
type Term struct {
	OfferTermCode   string               `json:"offerTermCode"`
	SKU             string               `json:"sku"`
	EffectiveDate   string               `json:"effectiveDate"`
	PriceDimensions map[string]Dimension `json:"priceDimensions"`
}

// Dimension is one price tier. AWS's page names the tier limits startingRange and
// endingRange in its JSON example; the offer files themselves carry beginRange and
// endRange ("Inf" for no end). Both spellings are read.
type Dimension struct {
	RateCode      string            `json:"rateCode"`
	Description   string            `json:"description"`
	Unit          string            `json:"unit"`
	BeginRange    string            `json:"beginRange"`
	EndRange      string            `json:"endRange"`
	StartingRange string            `json:"startingRange"`
	EndingRange   string            `json:"endingRange"`
	PricePerUnit  map[string]string `json:"pricePerUnit"`
}

// Begin and End are the tier's limits ("" when absent).
func (d Dimension) Begin() string { return first(d.BeginRange, d.StartingRange) }
func (d Dimension) End() string   { return first(d.EndRange, d.EndingRange) }

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Client reads offer files from Base (DefaultBase when empty).
type Client struct {
	Base string
	HTTP *http.Client
}

// URL is the address of an offer's current file for a Region.
func (c *Client) URL(offer, region string) string {
	base := c.Base
	if base == "" {
		base = DefaultBase
	}
	return strings.TrimSuffix(base, "/") + "/offers/v1.0/aws/" + offer + "/current/" + region + "/index.json"
}

// NotFoundError is an offer file the price list does not have (HTTP 404 or 403,
// which is what its storage answers for a missing key).
type NotFoundError struct {
	URL    string
	Status string
}

func (e *NotFoundError) Error() string { return fmt.Sprintf("GET %s: %s", e.URL, e.Status) }

// Fetch reads and decodes an offer's file for a Region.
func (c *Client) Fetch(ctx context.Context, offer, region string) (*Offer, error) {
	url := c.URL(offer, region)
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 5 * time.Minute}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		var ue *neturl.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL again
		}
		return nil, &NetworkError{URL: url, Host: req.URL.Host, Err: err}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusForbidden:
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return nil, &NotFoundError{URL: url, Status: resp.Status}
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	var o Offer
	if err := json.NewDecoder(resp.Body).Decode(&o); err != nil {
		return nil, fmt.Errorf("GET %s: not an offer file in AWS's JSON format: %w", url, err)
	}
	if o.OfferCode != "" && o.OfferCode != offer {
		return nil, fmt.Errorf("GET %s: offerCode %q, want %q", url, o.OfferCode, offer)
	}
	if len(o.Products) == 0 {
		return nil, fmt.Errorf("GET %s: the offer file has no products", url)
	}
	return &o, nil
}

// NetworkError is a price list that could not be reached.
type NetworkError struct {
	URL, Host string
	Err       error
}

func (e *NetworkError) Error() string {
	return fmt.Sprintf("GET %s: %v (the price list needs network access to %s)", e.URL, e.Err, e.Host)
}

func (e *NetworkError) Unwrap() error { return e.Err }

// IsNotFound reports whether err is an offer file the price list does not have.
func IsNotFound(err error) bool {
	var nf *NotFoundError
	return errors.As(err, &nf)
}

// rangeValue parses a tier limit: a number, or "Inf".
func rangeValue(s string) (float64, error) {
	if strings.EqualFold(s, "Inf") {
		return math.Inf(1), nil
	}
	return strconv.ParseFloat(s, 64)
}
