package main

import (
	"fmt"
	"io"
	"path"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/s3transfer/cdk-datasync/app/operate"
)

// bars draws each run as a block of lines redrawn in place (mpb):
//
//	NAME  REGION  exec-ID                                   elapsed
//	queued ✓ › launching ✓ › preparing ✓ › [TRANSFERRING] › verifying
//	  files [=====>---------]  45%  4,500 / 10,000 files
//	  bytes [====>----------]  38%  3.8 GB / 10 GB
//	  120 MB/s · 52s left
//	  ENHANCED: listed ... (the counters of the task's mode)
type bars struct {
	p    *mpb.Progress
	mu   sync.Mutex
	rows map[*view][2]*mpb.Bar
}

func newBars(w io.Writer) *bars {
	return &bars{
		p:    mpb.New(mpb.WithOutput(w), mpb.WithWidth(30), mpb.WithRefreshRate(200*time.Millisecond)),
		rows: map[*view][2]*mpb.Bar{},
	}
}

// line makes an extender row from a text function of the view.
func line(v *view, text func(v *view) string) mpb.BarFiller {
	return mpb.BarFillerFunc(func(w io.Writer, _ decor.Statistics) error {
		_, err := fmt.Fprintln(w, text(v))
		return err
	})
}

func text(v *view, fn func(p progressView) string) decor.Decorator {
	return decor.Any(func(decor.Statistics) string {
		p, bps, _ := v.get()
		return fn(progressView{p, bps})
	})
}

func (b *bars) add(v *view) {
	header := func(v *view) string {
		p, _, seen := v.get()
		s := fmt.Sprintf("%s  %s  %s", v.t.name, v.t.exec.Region, path.Base(v.t.exec.Arn))
		if seen {
			s += fmt.Sprintf("  %s  %s", p.Mode, duration(p.Duration(time.Now())))
		}
		return s
	}
	phase := func(v *view) string {
		p, _, seen := v.get()
		if !seen {
			return "asking DataSync…"
		}
		return phaseLine(p)
	}
	speed := func(v *view) string {
		p, bps, _ := v.get()
		return "  " + speedText(p, bps)
	}
	counters := func(v *view) string {
		p, _, _ := v.get()
		return "  " + modeText(p)
	}
	pct := func(part, whole func(p progressView) int64) func(progressView) string {
		return func(p progressView) string { return fmt.Sprintf("%4s", percent(part(p), whole(p))) }
	}
	files := b.p.New(0, mpb.BarStyle(),
		mpb.BarTopExtender(line(v, phase), line(v, header)),
		mpb.PrependDecorators(decor.Name("  files ")),
		mpb.AppendDecorators(
			text(v, pct(func(p progressView) int64 { return p.FilesTransferred }, func(p progressView) int64 { return p.FilesTotal() })),
			text(v, func(p progressView) string { return "  " + filesText(p.Progress) })))
	data := b.p.New(0, mpb.BarStyle(),
		mpb.BarBtmExtender(line(v, speed), line(v, counters)),
		mpb.PrependDecorators(decor.Name("  bytes ")),
		mpb.AppendDecorators(
			text(v, pct(func(p progressView) int64 { return p.BytesWritten }, func(p progressView) int64 { return p.EstimatedBytes })),
			text(v, func(p progressView) string { return "  " + bytesText(p.Progress) })))
	b.mu.Lock()
	b.rows[v] = [2]*mpb.Bar{files, data}
	b.mu.Unlock()
}

func (b *bars) update(v *view) {
	b.mu.Lock()
	row := b.rows[v]
	b.mu.Unlock()
	p, _, _ := v.get()
	row[0].SetTotal(p.FilesTotal(), false)
	row[0].SetCurrent(p.FilesTransferred)
	row[1].SetTotal(p.EstimatedBytes, false)
	row[1].SetCurrent(p.BytesWritten)
}

// end freezes the run's bars as they are (not filled: a run can end short of the estimate).
func (b *bars) end(v *view) {
	b.mu.Lock()
	row := b.rows[v]
	b.mu.Unlock()
	row[0].Abort(false)
	row[1].Abort(false)
}

func (b *bars) wait() { b.p.Wait() }

// progressView is a progress with its recent rate, for decorators.
type progressView struct {
	operate.Progress
	bps float64
}

// lines prints one plain line per change of a run, for logs and pipes.
type lines struct {
	mu   sync.Mutex
	w    io.Writer
	last map[*view]string
}

func newLines(w io.Writer) *lines { return &lines{w: w, last: map[*view]string{}} }

func (l *lines) add(*view) {}

func (l *lines) update(v *view) {
	p, bps, _ := v.get()
	withPercent := func(s, pct string) string {
		if pct == "" {
			return s
		}
		return s + " (" + pct + ")"
	}
	files := withPercent(filesText(p), percent(p.FilesTransferred, p.FilesTotal()))
	data := withPercent(bytesText(p), percent(p.BytesWritten, p.EstimatedBytes))
	state := fmt.Sprintf("%s %s  files %s  bytes %s", v.t.name, p.Status, files, data)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last[v] == state+modeText(p) {
		return
	}
	l.last[v] = state + modeText(p)
	s := time.Now().UTC().Format("15:04:05Z") + " " + state
	if sp := speedText(p, bps); sp != "" {
		s += "  " + sp
	}
	fmt.Fprintln(l.w, s+"  "+modeText(p))
}

func (l *lines) end(*view) {}

func (l *lines) wait() {}
