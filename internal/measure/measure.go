// Package measure holds what the measuring tools (tools/bench, tools/synthstress)
// print beside their figures.
package measure

import (
	"os"
	"slices"
	"strings"
)

// LoadAvg is the machine's 1-, 5- and 15-minute load average, or "unknown".
func LoadAvg() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(raw))[:3], " ")
}

// Median is the middle value (the upper one of an even count), 0 for none.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
