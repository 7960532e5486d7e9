package listing

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
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
		out, err := s.Client.ListObjectsV2(ctx, in, fastDecode)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			var api smithy.APIError
			if errors.As(err, &api) && api.ErrorCode() == "AccessDenied" {
				return fmt.Errorf("access denied listing %s (bucket %s of account %s): the credentials used for account %s need s3:ListBucket on bucket %s: %w",
					s.Location, s.Bucket, orUnknown(s.Account), orUnknown(s.Account), s.Bucket, err)
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
			p.pages++
			if !p.judged {
				// A cut is worth making where keys start with it ("d0001" of
				// "d0001/e00/..."), not where the next key merely sorts after it.
				p.judged = true
				opts.stats.record(p.cutAt, strings.HasPrefix(objs[0].Key, p.lo))
			}
			if p.sample == "" {
				p.sample = objs[0].Key
				if !p.fanned {
					for _, o := range objs {
						opts.alphabet.add(o.Key)
					}
				}
			}
		}
		wake := !end && (!wasMore || p.pages == refanPages)
		p.mu.Unlock()
		if wake {
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

// Split points are made of printable ASCII: they stay valid UTF-8 and XML-safe
// whatever the keys are.
const (
	lowest  = 0x20 // ' '
	highest = 0x7f // one past '~'
)

func orUnknown(account string) string {
	if account == "" {
		return "(unknown)"
	}
	return account
}
