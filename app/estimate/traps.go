package estimate

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

// coldClasses have a minimum storage duration: deleting or overwriting an object
// sooner bills the rest of it (early deletion).
var coldClasses = []string{"STANDARD_IA", "ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"}

// archivedClasses at the source cannot be read by DataSync without a restore.
var archivedClasses = []string{"GLACIER", "DEEP_ARCHIVE"}

// ConfigTraps are the cost traps the config alone shows, for every transfer: what the
// app prints at synth, `make plan` and `transfers estimate` print. p may be nil (no
// prices: the figures that need them are left out).
func ConfigTraps(t spec.Transfer, p *Prices) []string {
	t = t.WithDefaults()
	var out []string
	say := func(format string, args ...any) {
		out = append(out, fmt.Sprintf("transfer %s: ", t.Name)+fmt.Sprintf(format, args...))
	}
	days := 30
	if p != nil {
		days = p.Assumptions.DaysPerMonth
	}
	runs, err := RunsPerMonth(t.Task.Schedule, days)
	if err == nil && runs > 0 && t.Task.Mode == "ENHANCED" {
		fee := ""
		if p != nil {
			if rp, err := p.Region(t.Destination.Region); err == nil {
				fee = fmt.Sprintf(" × %s = %s a month", Money(rp.DataSync.EnhancedPerExecution), Money(runs*rp.DataSync.EnhancedPerExecution))
			}
		}
		say("ENHANCED mode with schedule %q: %s executions a month%s in execution fees alone, even when nothing changed "+
			"(a less frequent schedule, or BASIC mode, costs less)", t.Task.Schedule, num(runs), fee)
	}
	if runs > 0 && t.Task.TransferMode == "ALL" {
		say("transferMode ALL with schedule %q copies everything again on each of %s runs a month, paying DataSync's per-GB fee and every "+
			"request each time: use transferMode CHANGED", t.Task.Schedule, num(runs))
	}
	class := t.Destination.StorageClass
	if slices.Contains(coldClasses, class) {
		days := 0
		if p != nil {
			days = p.Assumptions.MinimumStorageDays[class]
		}
		minimum := ""
		if days > 0 {
			minimum = fmt.Sprintf(" (minimum %d days)", days)
		}
		if t.Task.OverwriteMode == "ALWAYS" {
			say("destination storage class %s%s with overwriteMode ALWAYS: each overwrite of an object younger than the minimum is an early deletion, "+
				"billed for the rest of the minimum", class, minimum)
		}
		if t.Task.PreserveDeletedFiles == "REMOVE" {
			say("destination storage class %s%s with preserveDeletedFiles REMOVE: objects deleted at the source are deleted at the destination, "+
				"and a deletion before the minimum is billed for the rest of it", class, minimum)
		}
	}
	if t.Destination.CreateBucket && t.Destination.NoncurrentVersionExpirationDays == 0 && t.Task.OverwriteMode == "ALWAYS" {
		say("the created destination bucket is versioned and overwriteMode is ALWAYS: every overwrite keeps the previous version, billed as a " +
			"whole object, forever; set destination.noncurrentVersionExpirationDays")
	}
	if t.CrossRegion() {
		price := ""
		if p != nil {
			if rp, err := p.Region(t.Source.Region); err == nil && rp.InterRegionKnown(t.Destination.Region) {
				price = fmt.Sprintf(" (%s a GB)", Money(rp.InterRegion(t.Destination.Region)))
			}
		}
		say("cross-Region transfer %s → %s: every GB copied is also billed as inter-Region data transfer%s to the source account",
			t.Source.Region, t.Destination.Region, price)
	}
	return out
}

// AllConfigTraps are the config traps of every transfer, with the built-in prices.
func AllConfigTraps(ts []spec.Transfer) []string {
	p, err := Table()
	if err != nil {
		p = nil
	}
	var out []string
	for _, t := range ts {
		out = append(out, ConfigTraps(t, p)...)
	}
	return out
}

// DataTraps are the cost traps the data shows: small objects into classes with a
// minimum billable size, and archived source objects DataSync cannot read.
func DataTraps(t spec.Transfer, d *Data, p *Prices) []string {
	t = t.WithDefaults()
	var out []string
	say := func(format string, args ...any) {
		out = append(out, fmt.Sprintf("transfer %s: ", t.Name)+fmt.Sprintf(format, args...))
	}
	class := t.Destination.StorageClass
	a := p.Assumptions
	keep := t.Task.TransferMode == "CHANGED" // overwrites keep their class
	if limit := a.DataSyncStandardBelowBytes[class]; limit > 0 {
		if small := d.freshBelow(limit, keep); small.Objects > 0 {
			say("%s objects (%s) are smaller than %s: DataSync writes them to STANDARD, not %s (priced at STANDARD here; %s)",
				comma(small.Objects), humanBytes(small.Bytes), humanBytes(limit), class, approx(d))
		}
	}
	if o, ok := a.ArchiveOverheadBytes[class]; ok {
		fresh, small := d.fresh(keep), d.freshBelow(a.DataSyncStandardBelowBytes[class], keep)
		n, bytes := fresh.Objects-small.Objects, fresh.Bytes-small.Bytes
		if overhead := n * (o.StandardBytes + o.ClassBytes); n > 0 && overhead*10 > bytes {
			say("%s adds %s of metadata an object: %s for %s objects of %s on average (%s)", class, humanBytes(o.StandardBytes+o.ClassBytes),
				humanBytes(overhead), comma(n), humanBytes(bytes/n), approx(d))
		}
	}
	if t.Task.TransferMode == "CHANGED" && t.Task.OverwriteMode == "ALWAYS" {
		for _, c := range slices.Sorted(maps.Keys(d.OverwrittenClasses)) {
			if n := d.OverwrittenClasses[c].Objects; n > 0 && c != class && slices.Contains(coldClasses, c) {
				say("%s objects to overwrite are in %s at the destination (minimum %d days), a class DataSync keeps: each overwrite of one younger "+
					"than the minimum is an early deletion", comma(n), c, a.MinimumStorageDays[c])
			}
		}
	}
	if d.Identical > 0 {
		// "DataSync makes a COPY request to create a copy of an object only if that
		// object's metadata changes. This can happen if you originally copied data to
		// the S3 bucket using another service or tool that didn't carry over its
		// metadata." (DataSync user guide, create-s3-location.html). A COPY is a PUT
		// of the object's class; an archived object cannot be copied before a restore.
		rp, err := p.Region(t.Destination.Region)
		var cost float64
		var parts, archived []string
		for _, c := range slices.Sorted(maps.Keys(d.IdenticalClasses)) {
			n := d.IdenticalClasses[c].Objects
			if n == 0 {
				continue
			}
			if slices.Contains(archivedClasses, c) {
				archived = append(archived, fmt.Sprintf("%s in %s", comma(n), c))
			}
			if err == nil {
				if cp, ok := rp.S3[c]; ok {
					cost += float64(n) / 1000 * cp.PutPer1000
					parts = append(parts, fmt.Sprintf("%s in %s at %s per 1,000", comma(n), c, Money(cp.PutPer1000)))
				}
			}
		}
		extra := ""
		if len(archived) > 0 {
			extra = fmt.Sprintf(" (%s need a restore first)", strings.Join(archived, " and "))
		}
		say("%s objects at the destination look identical by size and time and are not priced; if another tool than DataSync wrote them "+
			"without its metadata, DataSync makes a COPY request for each: up to %s = %s more at the destination%s, and an early deletion "+
			"for each younger than its cold class's minimum", comma(d.Identical), strings.Join(parts, " + "), Money(cost), extra)
	}
	var archived []string
	for _, c := range archivedClasses {
		if n := d.Classes[c]; n != nil && n.Objects > 0 {
			archived = append(archived, fmt.Sprintf("%s objects (%s) in %s", comma(n.Objects), humanBytes(n.Bytes), c))
		}
	}
	if len(archived) > 0 {
		say("the source holds %s: DataSync cannot read archived objects without a restore (S3 RestoreObject, billed per request and GB); "+
			"their GETs and the restore are not priced here, the rest of their copy is", strings.Join(archived, " and "))
	}
	return out
}

func approx(d *Data) string {
	if d.Approximate {
		return "approximate: from the average object size"
	}
	return "from the listing"
}
