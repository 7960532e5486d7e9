package verify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/s3transfer/cdk-datasync/app/listing"
)

// HeadAPI is the S3 call --checksums makes; *s3.Client implements it.
type HeadAPI interface {
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, opts ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
}

// headPool reads both sides' checksums of the pairs the listing cannot decide,
// with a bounded number of HeadObject calls in flight, and classifies each pair
// when both answers are in. The queue is bounded, so memory stays bounded too.
type headPool struct {
	ctx      context.Context
	cancel   context.CancelCauseFunc
	pairs    chan listing.Pair
	wg       sync.WaitGroup
	src, dst HeadAPI
	srcLoc   listing.Location
	dstLoc   listing.Location
	c        *classifier
}

func newHeadPool(ctx context.Context, n int, src, dst HeadAPI, srcLoc, dstLoc listing.Location, c *classifier) *headPool {
	ctx, cancel := context.WithCancelCause(ctx)
	h := &headPool{ctx: ctx, cancel: cancel, pairs: make(chan listing.Pair, n), src: src, dst: dst, srcLoc: srcLoc, dstLoc: dstLoc, c: c}
	for range n {
		h.wg.Add(1)
		go h.work()
	}
	return h
}

func (h *headPool) add(p listing.Pair) error {
	select {
	case h.pairs <- p:
		return nil
	case <-h.ctx.Done():
		return context.Cause(h.ctx)
	}
}

func (h *headPool) work() {
	defer h.wg.Done()
	for p := range h.pairs {
		if h.ctx.Err() != nil {
			continue
		}
		s, err := head(h.ctx, h.src, h.srcLoc, p.Key)
		var d *s3.HeadObjectOutput
		if err == nil {
			d, err = head(h.ctx, h.dst, h.dstLoc, p.Key)
		}
		if err != nil && !h.c.opts.Checksums && h.ctx.Err() == nil {
			// Confirming a difference (no --checksums): the listing's verdict
			// stands, and the result says why it is unconfirmed.
			h.c.mu.Lock()
			h.c.unconfirmed++
			if h.c.confirmErr == nil {
				h.c.confirmErr = err
			}
			h.c.mu.Unlock()
			if err := h.c.classify(p, nil); err != nil {
				h.cancel(err)
			}
			continue
		}
		if err != nil {
			h.cancel(err)
			continue
		}
		h.c.mu.Lock()
		h.c.res.Headed++
		h.c.mu.Unlock()
		if err := h.c.classify(p, &heads{src: s, dst: d}); err != nil {
			h.cancel(err)
		}
	}
}

// wait ends the pool after the last pair and returns its first error.
func (h *headPool) wait() error {
	close(h.pairs)
	h.wg.Wait()
	err := context.Cause(h.ctx)
	h.cancel(nil)
	return err
}

func head(ctx context.Context, c HeadAPI, loc listing.Location, key string) (*s3.HeadObjectOutput, error) {
	out, err := c.HeadObject(ctx, &s3.HeadObjectInput{
		Bucket:       aws.String(loc.Bucket),
		Key:          aws.String(loc.KeyPrefix() + key),
		ChecksumMode: s3types.ChecksumModeEnabled,
	})
	var resp *smithyhttp.ResponseError
	if errors.As(err, &resp) && resp.HTTPStatusCode() == http.StatusForbidden {
		return nil, fmt.Errorf("access denied reading the checksums of %s%s (bucket %s of account %s): --checksums needs s3:GetObject on the bucket's objects: %w",
			loc, key, loc.Bucket, loc.Account, err)
	}
	if err != nil {
		return nil, fmt.Errorf("HeadObject %s%s: %w", loc, key, err)
	}
	return out, nil
}
