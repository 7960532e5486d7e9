package main

import (
	"context"
	"fmt"
	"io"
	"path"
	"time"

	"github.com/s3transfer/cdk-datasync/app/operate"
	"github.com/s3transfer/cdk-datasync/app/verify"
	"github.com/s3transfer/cdk-datasync/constructs/spec"
)

// rerunnable says whether a re-run transfers the objects of class c: what is missing
// or differs at the destination, including what changed at the source after the
// last run started. Archived objects are left out: DataSync cannot read them until
// they are restored; so are those under keys DataSync cannot transfer at all
// (verify.Unsupported).
func rerunnable(c verify.Class) bool {
	switch c {
	case verify.Missing, verify.SizeDiffers, verify.ContentDiffers, verify.InFlight:
		return true
	}
	return false
}

// collectGaps is an OnDifference that adds the keys a re-run transfers to g, then
// calls next (nil for none).
func collectGaps(g *operate.Gaps, next func(verify.Difference) error) func(verify.Difference) error {
	return func(d verify.Difference) error {
		if rerunnable(d.Class) && d.Src != nil {
			if err := g.Add(d.Key, d.Src.Size); err != nil {
				return err
			}
		}
		if next != nil {
			return next(d)
		}
		return nil
	}
}

// rerunOutput is one re-run in JSON.
type rerunOutput struct {
	Transfer string `json:"transfer"`
	operate.Rerun
}

// rerunGaps starts one execution of t's task limited to the keys in g, and says
// what it started on w (stdout, or stderr when stdout holds JSON). It returns nil
// and no error when there is nothing to re-run.
func rerunGaps(ctx context.Context, f *flags, w io.Writer, s *operate.Session, t spec.Transfer, res *verify.Result, g *operate.Gaps) (*operate.Rerun, error) {
	if n := res.Counts[verify.Archived].Objects; n > 0 {
		fmt.Fprintf(f.stderr, "transfers: %s: %s archived objects are not re-run: restore them at the source first (S3 RestoreObject), then re-run\n", t.Name, count(n))
	}
	if n := res.Counts[verify.Unsupported].Objects; n > 0 {
		fmt.Fprintf(f.stderr, "transfers: %s: %s objects under keys DataSync cannot transfer are not re-run: copy them another way\n", t.Name, count(n))
	}
	if g.Objects == 0 {
		fmt.Fprintf(w, "%s: nothing to re-run\n", t.Name)
		return nil, nil
	}
	task, err := s.FindTask(ctx, t)
	if err != nil {
		return nil, err
	}
	r, err := s.StartRerun(ctx, task, g, time.Now())
	if err != nil {
		return nil, err
	}
	how := "an Includes filter of their exact paths"
	if r.Method == "manifest" {
		how = "the manifest " + r.Manifest + " (" + r.Why + ")"
	}
	fmt.Fprintf(w, "%s: re-run of %s objects (%s) started by %s: %s\n  follow it with: transfers watch %s\n",
		t.Name, count(r.Objects), size(r.Bytes), how, path.Base(r.ExecutionArn), r.ExecutionArn)
	return &r, nil
}

// closeGaps removes a collection's temporary file; nil is nothing.
func closeGaps(g *operate.Gaps) {
	if g != nil {
		_ = g.Close()
	}
}
