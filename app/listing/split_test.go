package listing

import (
	"slices"
	"testing"
)

func cutsOf(ps []*partition) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.lo)
	}
	return out
}

// The first fan-out of numbered keys cuts at growing prefixes of the digits, never
// inside the page's own range, and the parts cover the rest of the key space in order.
func TestFanOutNumberedKeys(t *testing.T) {
	var a alphabet
	for _, k := range []string{"00000000.bin", "00000999.bin", "00000123.bin", "00000456.bin", "00000789.bin"} {
		a.add(k)
	}
	p := &partition{first: true, open: true, sample: "00000000.bin", cursor: "00000999.bin", more: [2]bool{true, false}}
	parts := p.fanOut(&a, &cutStats{}, 100, false)
	got := cutsOf(parts)
	for _, want := range []string{"0001", "0009", "001", "009", "01", "1", "9"} {
		if !slices.Contains(got, want) {
			t.Errorf("no cut at %q in %q", want, got)
		}
	}
	if slices.Contains(got, "00001") || slices.Contains(got, "0000b") {
		t.Errorf("cuts within a page's range, or of another class: %q", got)
	}
	if p.hi != got[0] || p.open {
		t.Errorf("the partition now ends at %q (open %v), want %q", p.hi, p.open, got[0])
	}
	for i, q := range parts {
		if i+1 < len(parts) && (q.hi != parts[i+1].lo || q.open) {
			t.Errorf("part %d ends at %q, the next starts at %q", i, q.hi, parts[i+1].lo)
		}
	}
	if last := parts[len(parts)-1]; !last.open {
		t.Error("the last part does not run to the end")
	}
	if again := p.fanOut(&a, &cutStats{}, 100, false); again != nil {
		t.Errorf("fanned out twice without idle slots: %q", cutsOf(again))
	}
}

// A position whose cuts never start keys (the "e" of "d0000/e00/") stops being cut.
func TestFanOutLearnsDeadPositions(t *testing.T) {
	var a alphabet
	for _, k := range []string{"d0000/e00/f00000000.bin", "d0000/e09/f00000999.bin", "0123456789", "x/y"} {
		a.add(k)
	}
	fresh := func() *partition {
		return &partition{first: true, open: true, sample: "d0000/e00/f00000000.bin", cursor: "d0000/e09/f00000999.bin", more: [2]bool{true, true}}
	}
	var stats cutStats
	if got := cutsOf(fresh().fanOut(&a, &stats, 100, false)); !slices.Contains(got, "d0000/f") || !slices.Contains(got, "d0001") {
		t.Fatalf("cuts %q: want both d0000/f and d0001 before anything is learned", got)
	}
	for range 3 {
		stats.record(6, false)
	}
	stats.record(4, true)
	got := cutsOf(fresh().fanOut(&a, &stats, 100, false))
	if slices.Contains(got, "d0000/f") || !slices.Contains(got, "d0001") {
		t.Errorf("cuts %q: want d0001 and no cut at position 6", got)
	}
}
