package estimate

import (
	"context"

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
// source object), and with overwriteMode NEVER those the destination already has.
// It also counts the directories of both sides, for DataSync's LIST requests.
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
	srcDirs, dstDirs, afterDirs := newDirPages(a.ListPageKeys), newDirPages(a.ListPageKeys), newDirPages(a.ListPageKeys)
	changed := t.Task.TransferMode == "CHANGED"
	never := t.Task.OverwriteMode == "NEVER"
	remove := t.Task.PreserveDeletedFiles == "REMOVE"
	err = listing.Join(ctx, srcSide, dstSide, opts, func(p listing.Pair) error {
		// calls never overlap (listing.Join); keys arrive in order per partition
		if p.Src != nil {
			srcDirs.add(p.Partition, p.Key)
		}
		if p.Dst != nil {
			d.Destination(p.Dst.Size, p.Dst.StorageClass, p.Src == nil)
			dstDirs.add(p.Partition, p.Key)
		}
		// after the first run the destination holds what it held (less what
		// preserveDeletedFiles REMOVE deletes: objects without a source object) and
		// every object the filters keep
		if (p.Dst != nil && (!remove || p.Src != nil)) || (p.Src != nil && !p.Excluded) {
			afterDirs.add(p.Partition, p.Key)
		}
		switch {
		case p.Src == nil:
		case p.Excluded:
			d.Exclude()
		case p.Dst == nil:
			d.Add(p.Src.Size, p.Src.StorageClass)
		case changed && Identical(p.Src, p.Dst):
			d.Keep(p.Src.Size, p.Src.StorageClass, p.Dst.StorageClass, p.Dst.Size, true)
		case never:
			// "DataSync doesn't overwrite data in the destination location even if
			// the source data has changed" (Options.OverwriteMode, API reference)
			d.Keep(p.Src.Size, p.Src.StorageClass, p.Dst.StorageClass, p.Dst.Size, false)
		default:
			d.AddOverwriteN(1, p.Src.Size, p.Src.StorageClass, p.Dst.StorageClass, p.Dst.Size)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	d.ListPages.Source, d.ListPages.SourceDirectories = srcDirs.total()
	d.ListPages.Destination, _ = dstDirs.total()
	d.ListPages.After, _ = afterDirs.total()
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
