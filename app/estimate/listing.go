package estimate

import (
	"context"
	"sync/atomic"

	"github.com/s3transfer/cdk-datasync/app/listing"
	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

// Progress are the live figures of a listing for a progress line.
type Progress = listing.Counters

// Reports are S3 Inventory reports that stand in for listing each side (buckets too
// large to list from one machine); nil lists the buckets.
type Reports struct{ Source, Destination *listing.Inventory }

// FromListing lists the transfer's source and destination locations with the
// listing engine (the one verify uses: partitions of the key space in parallel,
// bounded memory), or reads their inventory reports, and sums up what the first run
// would copy: the source objects under the prefix that the task's filters keep,
// except, with transferMode CHANGED, those already identical at the destination
// (same size, and the same single-part ETag or a destination copy no older than the
// source object).
func FromListing(ctx context.Context, t spec.Transfer, src, dst listing.ListAPI, reports *Reports, a Assumptions, opts listing.Options) (*Data, error) {
	t = t.WithDefaults()
	filter, err := listing.NewFilter(t.Task.Includes, t.Task.Excludes)
	if err != nil {
		return nil, err
	}
	srcSide := listing.Side{Location: listing.Location{Account: t.Source.Account, Region: t.Source.Region, Bucket: t.Source.Bucket, Prefix: t.Source.Prefix},
		Client: src, Filter: filter}
	dstSide := listing.Side{Location: listing.Location{Account: t.Destination.Account, Region: t.Destination.Region, Bucket: t.Destination.Bucket, Prefix: t.Destination.Prefix},
		Client: dst}
	from := "listing"
	if reports != nil {
		srcSide.Inventory, dstSide.Inventory = reports.Source, reports.Destination
		from = "inventory"
	}
	d := NewData(a, from)
	var dstCount atomic.Int64
	changed := t.Task.TransferMode == "CHANGED"
	err = listing.Join(ctx, srcSide, dstSide, opts, func(p listing.Pair) error {
		// calls never overlap (listing.Join)
		if p.Dst != nil {
			dstCount.Add(1)
		}
		switch {
		case p.Src == nil:
		case p.Excluded:
			d.Skip(p.Src.Size, false)
		case changed && p.Dst != nil && Identical(p.Src, p.Dst):
			d.Skip(p.Src.Size, true)
		default:
			d.Add(p.Src.Size, p.Src.StorageClass)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	d.DestinationListed = dstCount.Load()
	return d, nil
}

// Identical is the estimate's test of an object DataSync would skip with
// transferMode CHANGED: DataSync compares size, modification time and metadata,
// of which a listing shows the size and times; a destination copy written after the
// source object, or with the same single-part ETag, counts as identical.
func Identical(src, dst *listing.Object) bool {
	if src.Size != dst.Size {
		return false
	}
	if src.SinglePartETag() && dst.SinglePartETag() && src.ETag == dst.ETag {
		return true
	}
	return !dst.LastModified.IsZero() && !dst.LastModified.Before(src.LastModified)
}
