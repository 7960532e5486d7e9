package listing

import (
	"slices"
	"sync/atomic"
)

// refanPages is how many pages a partition lists after a fan-out before it may
// fan out again: it is long enough to be worth more partitions.
const refanPages = 3

// classOf is the class of a key character that split points vary: 1 digits, 2
// lowercase, 3 uppercase letters; 0 for the rest (separators and the like). A cut
// replaces a character only with one of its class: "d0000/" is followed by
// "d0001/", rarely by "d0000a".
func classOf(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return 1
	case c >= 'a' && c <= 'z':
		return 2
	case c >= 'A' && c <= 'Z':
		return 3
	}
	return 0
}

// cutStats learns, per character position, whether cuts there find keys that
// start with them: cuts at a position that never has (a literal such as the "e" of
// "d0000/e00/") stop being made. Safe for concurrent use.
type cutStats struct{ hits, misses [64]atomic.Int32 }

func (c *cutStats) record(pos int, found bool) {
	if pos < 0 || pos >= len(c.hits) {
		return
	}
	if found {
		c.hits[pos].Add(1)
	} else {
		c.misses[pos].Add(1)
	}
}

// dead says that cuts at pos have missed three times and never hit.
func (c *cutStats) dead(pos int) bool {
	return pos < len(c.hits) && c.hits[pos].Load() == 0 && c.misses[pos].Load() >= 3
}

// alphabet is the set of (ASCII) characters seen in keys; safe for concurrent use.
type alphabet struct{ bits [2]atomic.Uint64 }

func (a *alphabet) add(key string) {
	for i := 0; i < len(key); i++ {
		if c := key[i]; c >= lowest && c < highest {
			a.bits[c/64].Or(1 << (c % 64))
		}
	}
}

// chars returns the characters seen, in order.
func (a *alphabet) chars() []byte {
	var out []byte
	for c := lowest; c < highest; c++ {
		if a.bits[c/64].Load()&(1<<(c%64)) != 0 {
			out = append(out, byte(c))
		}
	}
	return out
}

// fanOut splits the rest of a partition that has listed its first page into at
// most limit more partitions, by sampling: the keys listed so far share a prefix
// up to where they start to differ; the rest of the key space is cut after the
// last key listed at each character position before there, once per character seen
// in keys that sorts after the one there. The two positions nearest to where the keys
// differ are left out: their ranges hold about a page each, not worth a partition.
// For keys "00000000.bin" ... "00000999.bin" that is "0001", ..., "0009", "001", ...,
// "009", "01", ...: ranges of growing size in which the next pages fall, whatever
// the number of keys. Cuts where no key
// is cost one request each; the partitions that hold keys fan out in turn. A
// partition that has fanned out before does again only when idle says that slots
// are free and nothing waits.
func (p *partition) fanOut(a *alphabet, stats *cutStats, limit int, idle bool) []*partition {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sample == "" || !(p.more[0] || p.more[1]) || (p.fanned && (!idle || p.pages < refanPages)) {
		return nil
	}
	// The first fan-out cuts at the positions before the two nearest to where keys
	// differ (ranges of a page or so are not worth a partition); a later one, of a
	// partition still going after refanPages pages, cuts where its keys differ now.
	top, bottom := -2, -1 // positions common-2 down to 0
	if p.fanned {
		top, bottom = 0, 1 // common and common-1: within what it lists now
	}
	sample := p.sample
	p.fanned, p.pages, p.sample = true, 0, ""
	last := max(p.cursor, p.listed[0], p.listed[1])
	common := 0
	for common < len(sample) && common < len(last) && sample[common] == last[common] {
		common++
	}
	chars := a.chars()
	var cuts []string
	at := map[string]int{} // cut -> its position
	lowestPos := 0
	if bottom > 0 {
		lowestPos = common - bottom
	}
	for j := min(common+top, len(last)-1); j >= max(0, lowestPos); j-- {
		class := classOf(last[j])
		if class == 0 || stats.dead(j) {
			continue // a separator ("/", ".", "-"): the next one is another level
		}
		for _, c := range chars {
			if c <= last[j] || classOf(c) != class {
				continue
			}
			cut := last[:j] + string(c)
			if !p.open && cut >= p.hi {
				break
			}
			cuts = append(cuts, cut)
			at[cut] = j
		}
	}
	if len(cuts) == 0 {
		return nil
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	if len(cuts) > limit {
		kept := make([]string, 0, limit)
		for i := range limit {
			kept = append(kept, cuts[i*len(cuts)/limit])
		}
		cuts = kept
	}
	out := make([]*partition, len(cuts))
	for i, cut := range cuts {
		q := &partition{lo: cut, cursor: cut, cutAt: at[cut]}
		if i+1 < len(cuts) {
			q.hi = cuts[i+1]
		} else {
			q.hi, q.open = p.hi, p.open
		}
		out[i] = q
	}
	p.hi, p.open = cuts[0], false
	return out
}
