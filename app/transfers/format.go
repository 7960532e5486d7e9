package main

import (
	"fmt"
	"time"

	"github.com/dustin/go-humanize"
)

// count is a number with thousands separators.
func count(n int64) string { return humanize.Comma(n) }

// size is a byte count in SI units (as DataSync's console shows them).
func size(n int64) string {
	if n < 0 {
		n = 0
	}
	return humanize.Bytes(uint64(n))
}

// rate is a write rate, or "-" while there is none.
func rate(bytesPerSecond float64) string {
	if bytesPerSecond <= 0 {
		return "-"
	}
	return humanize.Bytes(uint64(bytesPerSecond)) + "/s"
}

// percent is part of whole, or "" when whole is unknown.
func percent(part, whole int64) string {
	if whole <= 0 {
		return ""
	}
	return fmt.Sprintf("%d%%", min(part*100/whole, 100))
}

// duration is a duration rounded to what a person reads: 42s, 3m05s, 1h02m.
func duration(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d <= 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	d = d.Round(time.Minute)
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}
