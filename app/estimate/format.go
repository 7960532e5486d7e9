package estimate

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/s3transfer/cdk-datasync/internal/number"
)

// comma writes n with thousands separators: 1,234,567.
func comma(n int64) string { return number.Group(n) }

// num writes a quantity: whole numbers with separators, others with up to four
// significant decimals.
func num(v float64) string {
	if v == float64(int64(v)) && v < 1e18 {
		return comma(int64(v))
	}
	if v >= 1000 {
		whole := int64(v)
		frac := strconv.FormatFloat(v-float64(whole), 'f', 2, 64)
		return comma(whole) + strings.TrimPrefix(frac, "0")
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}

// money writes dollars with cents, and more digits below a cent.
func money(v float64) string {
	if v != 0 && v < 0.01 {
		return strconv.FormatFloat(v, 'f', 6, 64)
	}
	whole := int64(v)
	cents := strconv.FormatFloat(v-float64(whole), 'f', 2, 64)
	if strings.HasPrefix(cents, "1") { // rounding up to a whole dollar
		whole++
		cents = "0.00"
	}
	return comma(whole) + strings.TrimPrefix(cents, "0")
}

// Money is v as dollars: $1,234.56.
func Money(v float64) string { return "$" + money(v) }

// price4 writes a unit price as given, without trailing zeros.
func price4(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// Bytes writes a byte count in binary units (KiB, MiB, ...).
func Bytes(n int64) string { return humanBytes(n) }

// humanBytes writes a byte count in binary units.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	s := strconv.FormatFloat(v, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	return s + " " + string("KMGTPE"[exp]) + "iB"
}

// plural writes n with its noun: 1 page, 2 pages.
func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if strings.HasSuffix(noun, "y") {
		return comma(n) + " " + strings.TrimSuffix(noun, "y") + "ies"
	}
	return comma(n) + " " + noun + "s"
}
