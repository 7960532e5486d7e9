package listing

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// Side is one location of a join and how to read it.
type Side struct {
	Location
	// Client lists the bucket. Required unless Inventory is set.
	Client ListAPI
	// Filter is the DataSync task's filter, applied to the source side. Default:
	// nil, every object.
	Filter *Filter
	// Inventory, when set, reads the location's objects from an S3 Inventory report
	// instead of listing the bucket (see Inventory).
	Inventory *Inventory
}

// Pair is one key of a join: the source object, the destination object, or both.
type Pair struct {
	// Key is relative to both locations.
	Key string
	// Src and Dst are the objects at each side; nil where the side has none.
	Src, Dst *Object
	// Excluded says that the source side's filter excludes Src: DataSync does not
	// transfer it.
	Excluded bool
	// Partition identifies the partition of the key space the pair was listed in:
	// the pairs of one partition arrive in key order, and its keys form one
	// contiguous range (a caller that needs key order, such as a count of
	// directories, keeps its state per partition).
	Partition int
}

// Options tune a listing.
type Options struct {
	// Partitions is how many partitions of the key space are listed at once (each
	// with one ListObjectsV2 request in flight per side). Default: 16, which keeps
	// 32 requests in flight: at S3's usual tens of milliseconds per request that is
	// more pages than two cores decode.
	Partitions int
	// PageSize is ListObjectsV2's MaxKeys. Default: 1000, S3's maximum.
	PageSize int32
	// Counters, when set, counts objects and requests as the listing goes (for a
	// progress display; read it from another goroutine).
	Counters *Counters

	wake     chan struct{} // a partition became splittable
	alphabet *alphabet     // characters seen in keys
	stats    *cutStats     // which cut positions find keys
}

// Counters are the live figures of a listing; safe for concurrent use.
type Counters struct {
	// Objects listed at the source and at the destination (filtered or not).
	Source, Destination atomic.Int64
	// Requests made (ListObjectsV2 calls, or inventory file reads).
	Requests atomic.Int64
	// Partitions is the number of partitions started so far.
	Partitions atomic.Int64
}

func (o Options) withDefaults() Options {
	if o.Partitions <= 0 {
		o.Partitions = 16
	}
	if o.PageSize <= 0 || o.PageSize > 1000 {
		o.PageSize = 1000
	}
	if o.Counters == nil {
		o.Counters = &Counters{}
	}
	o.wake = make(chan struct{}, 1)
	return o
}

// Join lists src and dst and calls fn once per key of either side, with the objects
// of both sides at that key. Keys are joined in key order within each partition of
// the key space; partitions run in parallel, so fn sees keys in no global order.
// Calls of fn never overlap. Memory stays bounded by the number of partitions
// times a few pages, whatever the number of objects. The first error (of a
// listing, or returned by fn) stops the join and is returned; a cancelled ctx stops
// it with ctx's error.
func Join(ctx context.Context, src, dst Side, opts Options, fn func(Pair) error) error {
	return join(ctx, &src, &dst, opts.withDefaults(), fn)
}

// Walk lists one location and calls fn once per object, in parallel partitions as
// Join does (calls of fn never overlap; no global key order). Objects that the side's
// Filter excludes are not passed to fn.
func Walk(ctx context.Context, side Side, opts Options, fn func(Object) error) error {
	return join(ctx, &side, nil, opts.withDefaults(), func(p Pair) error {
		if p.Excluded {
			return nil
		}
		return fn(*p.Src)
	})
}

// join runs the partitions: it starts with the whole key space and, while fewer
// than opts.Partitions are running, splits the widest running partition's
// remaining range in two (see split). A partition whose new half is empty costs
// one request and teaches the next split where the keys are.
func join(ctx context.Context, src, dst *Side, opts Options, fn func(Pair) error) error {
	if err := src.check("source"); err != nil {
		return err
	}
	if dst != nil {
		if err := dst.check("destination"); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	var fnMu sync.Mutex
	emit := func(p Pair) error {
		fnMu.Lock()
		defer fnMu.Unlock()
		return fn(p)
	}

	// Inventory reports are one sorted stream each: one partition.
	single := src.Inventory != nil || (dst != nil && dst.Inventory != nil)

	var (
		running []*partition
		pending []*partition // split off, not started yet, in key order
		done    = make(chan *partition)
		errOnce sync.Once
		first   error
		alpha   alphabet
		stats   cutStats
	)
	opts.alphabet, opts.stats = &alpha, &stats
	fail := func(err error) {
		errOnce.Do(func() { first = err; cancel(err) })
	}
	nextID := 0
	start := func(p *partition) {
		p.id = nextID
		nextID++
		opts.Counters.Partitions.Add(1)
		running = append(running, p)
		go func() {
			if err := p.run(ctx, src, dst, opts, emit); err != nil {
				fail(err)
			}
			p.mu.Lock()
			if !p.judged {
				stats.record(p.cutAt, false) // no key at all
			}
			p.mu.Unlock()
			done <- p
		}()
	}
	start(&partition{first: true, open: true, cutAt: -1})
	for {
		if !single && ctx.Err() == nil {
			// A partition that has seen its first page fans out into split points
			// made of the characters keys hold while the queue is short; one that
			// has fanned out before does again only to fill idle slots.
			for _, p := range running {
				idle := len(pending) == 0 && len(running) < opts.Partitions
				if len(pending) < opts.Partitions {
					pending = append(pending, p.fanOut(&alpha, &stats, 2*opts.Partitions, idle)...)
				}
			}
			for len(running) < opts.Partitions && len(pending) > 0 {
				start(pending[0])
				pending = pending[1:]
			}
		}
		if len(running) == 0 {
			break
		}
		select {
		case p := <-done:
			for i, r := range running {
				if r == p {
					running = append(running[:i], running[i+1:]...)
					break
				}
			}
		case <-opts.wake:
		}
	}
	if first != nil {
		return first
	}
	return context.Cause(ctx)
}

func (s *Side) check(name string) error {
	if s.Client == nil && s.Inventory == nil {
		return fmt.Errorf("listing: the %s side (%s) has neither a client nor an inventory", name, s.Location)
	}
	return nil
}

// partition is a range of relative keys (lo, hi]: after lo (or from the first key),
// up to and including hi (or to the end). Its goroutine joins both sides' keys of
// the range in order; the scheduler may lower hi while it runs.
type partition struct {
	id     int // Pair.Partition
	mu     sync.Mutex
	lo     string // exclusive; ignored when first
	first  bool   // from the first key of the location
	hi     string // inclusive; ignored when open
	open   bool   // to the end
	cursor string // the last key joined (or lo)
	// more says, per side, that its last page was full and within the range: the
	// partition is worth splitting only then (a fresh partition is not: its first
	// page tells where its keys are).
	more [2]bool
	// listed is, per side, the last key listed so far: splits land past it, so
	// that no page is fetched twice.
	listed [2]string
	// sample is the first key listed since the last fan-out, pages the number of
	// pages since; fanned says that it has fanned out before.
	sample string
	pages  int
	fanned bool
	// cutAt is the character position of the cut that made lo (see cutStats);
	// -1 for the first partition. judged says that its first key has told whether
	// the cut found what it was made for.
	cutAt  int
	judged bool
}

// bounds returns the current upper bound.
func (p *partition) bounds() (hi string, open bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.hi, p.open
}

// inRange says whether key is not past the partition's upper bound.
func (p *partition) inRange(key string) bool {
	hi, open := p.bounds()
	return open || key <= hi
}

// run joins the partition's keys of both sides.
func (p *partition) run(ctx context.Context, src, dst *Side, opts Options, emit func(Pair) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	srcNext := src.stream(ctx, p, 0, opts, &opts.Counters.Source)
	dstNext := func() (*Object, error) { return nil, nil }
	if dst != nil {
		dstNext = dst.stream(ctx, p, 1, opts, &opts.Counters.Destination)
	}
	s, err := srcNext()
	if err != nil {
		return err
	}
	d, err := dstNext()
	if err != nil {
		return err
	}
	for {
		// A key past the bound belongs to the upper half of a split: the stream
		// is at its end here. Taking the key and moving the cursor in one step keeps
		// a split from landing below a key being joined.
		p.mu.Lock()
		if s != nil && !p.open && s.Key > p.hi {
			s = nil
		}
		if d != nil && !p.open && d.Key > p.hi {
			d = nil
		}
		if s == nil && d == nil {
			p.mu.Unlock()
			return nil
		}
		key := ""
		switch {
		case s == nil:
			key = d.Key
		case d == nil || s.Key <= d.Key:
			key = s.Key
		default:
			key = d.Key
		}
		p.cursor = key
		p.mu.Unlock()
		var pair Pair
		switch {
		case d == nil || (s != nil && s.Key < d.Key):
			pair = Pair{Key: s.Key, Src: s}
		case s == nil || d.Key < s.Key:
			pair = Pair{Key: d.Key, Dst: d}
		default:
			pair = Pair{Key: s.Key, Src: s, Dst: d}
		}
		pair.Partition = p.id
		if pair.Src != nil && !src.Filter.Match(pair.Key) {
			pair.Excluded = true
		}
		if err := emit(pair); err != nil {
			return err
		}
		if pair.Src != nil {
			if s, err = srcNext(); err != nil {
				return err
			}
		}
		if pair.Dst != nil {
			if d, err = dstNext(); err != nil {
				return err
			}
		}
	}
}

// stream returns the side's objects of the partition in key order, one per call,
// nil at the end. Pages are fetched one ahead by a goroutine.
func (s *Side) stream(ctx context.Context, p *partition, side int, opts Options, count *atomic.Int64) func() (*Object, error) {
	if s.Inventory != nil {
		return s.Inventory.stream(ctx, s, opts, count)
	}
	type page struct {
		objs []Object
		err  error
	}
	pages := make(chan page)
	go func() {
		defer close(pages)
		err := s.list(ctx, p, side, opts, func(objs []Object) bool {
			count.Add(int64(len(objs)))
			select {
			case pages <- page{objs: objs}:
				return true
			case <-ctx.Done():
				return false
			}
		})
		if err != nil {
			select {
			case pages <- page{err: err}:
			case <-ctx.Done():
			}
		}
	}()
	var cur []Object
	return func() (*Object, error) {
		for len(cur) == 0 {
			pg, ok := <-pages
			if !ok {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				return nil, nil
			}
			if pg.err != nil {
				return nil, pg.err
			}
			cur = pg.objs
		}
		o := &cur[0]
		cur = cur[1:]
		return o, nil
	}
}

// errStop ends a listing early without an error.
var errStop = errors.New("stop")
