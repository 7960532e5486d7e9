package listing

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// list calls page with the side's objects of partition p, in key order, one
// ListObjectsV2 page at a time, until the partition's upper bound (which may move
// down meanwhile) or the end of the location. page returns false to stop.
func (s *Side) list(ctx context.Context, p *partition, side int, opts Options, page func([]Object) bool) error {
	kp := s.KeyPrefix()
	in := &s3.ListObjectsV2Input{
		Bucket:  aws.String(s.Bucket),
		MaxKeys: aws.Int32(opts.PageSize),
	}
	if kp != "" {
		in.Prefix = aws.String(kp)
	}
	p.mu.Lock()
	if !p.first {
		in.StartAfter = aws.String(kp + p.lo)
	}
	p.mu.Unlock()
	for {
		opts.Counters.Requests.Add(1)
		out, err := s.Client.ListObjectsV2(ctx, in)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("listing %s: %w", s.Location, err)
		}
		objs := make([]Object, 0, len(out.Contents))
		end := !aws.ToBool(out.IsTruncated) || out.NextContinuationToken == nil
		for i := range out.Contents {
			o := fromS3(&out.Contents[i], kp)
			if !p.inRange(o.Key) {
				end = true
				break
			}
			objs = append(objs, o)
		}
		p.mu.Lock()
		wasMore := p.more[side]
		p.more[side] = !end
		if len(objs) > 0 {
			p.listed[side] = objs[len(objs)-1].Key
		}
		p.mu.Unlock()
		if !end && !wasMore {
			select {
			case opts.wake <- struct{}{}:
			default:
			}
		}
		if len(objs) > 0 && !page(objs) {
			return ctx.Err()
		}
		if end {
			return nil
		}
		in.ContinuationToken = out.NextContinuationToken
		in.StartAfter = nil
	}
}

// fromS3 is a listed object with its key relative to the location's key prefix kp.
func fromS3(c *types.Object, kp string) Object {
	o := Object{
		Key:          strings.TrimPrefix(aws.ToString(c.Key), kp),
		Size:         aws.ToInt64(c.Size),
		ETag:         strings.Trim(aws.ToString(c.ETag), `"`),
		StorageClass: string(c.StorageClass),
		LastModified: aws.ToTime(c.LastModified),
		ChecksumType: string(c.ChecksumType),
	}
	if len(c.ChecksumAlgorithm) > 0 {
		o.ChecksumAlgorithm = string(c.ChecksumAlgorithm[0])
	}
	return o
}

// The key space is split on printable ASCII: split points stay valid UTF-8 and
// XML-safe whatever the keys are. Keys may hold any character; a range whose keys
// are beyond ASCII at the split position is simply not split further.
const (
	lowest  = 0x20 // ' '
	highest = 0x7f // one past '~'
)

// midpoint returns a key m with from < m < hi (hi = infinity when open) that halves
// the range in printable-ASCII key space; false when there is none worth using.
func midpoint(from, hi string, open bool) (string, bool) {
	i := 0
	for i < len(from) && !open && i < len(hi) && from[i] == hi[i] {
		i++
	}
	var m string
	if !open && i == len(hi) {
		return "", false // hi <= from: nothing left
	}
	ca := lowest - 1
	if i < len(from) {
		ca = int(from[i])
	}
	cb := highest
	if !open {
		cb = int(hi[i])
	}
	switch {
	case ca >= highest:
		return "", false // beyond ASCII here: not split
	case cb-ca >= 2:
		c := (ca + cb) / 2
		if c < lowest {
			c = lowest
		}
		m = from[:i] + string(rune(c))
	default:
		// Adjacent characters: keep from's character and halve what follows it
		// towards the end of the key space.
		rest, ok := midpoint(from[min(i+1, len(from)):], "", true)
		if !ok || i >= len(from) {
			return "", false
		}
		m = from[:i+1] + rest
	}
	if m <= from || (!open && m >= hi) || len(m) > 512 {
		return "", false
	}
	return m, true
}

// width is the size of the range (from, hi] in printable-ASCII key space, as a
// fraction of the whole: 1 is every key.
func width(from, hi string, open bool) float64 {
	upper := 1.0
	if !open {
		upper = position(hi)
	}
	return upper - position(from)
}

// position maps a key to [0, 1) preserving order (for the first few characters).
func position(k string) float64 {
	v, scale := 0.0, 1.0
	for i := 0; i < len(k) && i < 8; i++ {
		c := int(k[i])
		c = max(lowest-1, min(c, highest))
		scale /= highest - lowest + 2
		v += float64(c-lowest+1) * scale
	}
	return v
}
