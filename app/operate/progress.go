package operate

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datasync"
	"github.com/aws/aws-sdk-go-v2/service/datasync/types"
)

// Progress is one DescribeTaskExecution of a run, in the words of the API.
type Progress struct {
	Arn    string `json:"arn"`
	Status string `json:"status"` // QUEUED LAUNCHING PREPARING TRANSFERRING VERIFYING CANCELLING SUCCESS ERROR
	Mode   string `json:"mode"`   // ENHANCED or BASIC

	Start  time.Time `json:"start,omitzero"`  // StartTime: when the run was requested
	Launch time.Time `json:"launch,omitzero"` // LaunchTime: when it left the queue
	End    time.Time `json:"end,omitzero"`

	// Both modes.
	EstimatedFiles   int64 `json:"estimatedFiles"`   // EstimatedFilesToTransfer
	EstimatedBytes   int64 `json:"estimatedBytes"`   // EstimatedBytesToTransfer
	FilesTransferred int64 `json:"filesTransferred"` // FilesTransferred
	BytesWritten     int64 `json:"bytesWritten"`     // BytesWritten: logical bytes written to the destination
	BytesTransferred int64 `json:"bytesTransferred"` // BytesTransferred: bytes sent, before compression
	FilesVerified    int64 `json:"filesVerified"`
	FilesSkipped     int64 `json:"filesSkipped"`
	FilesDeleted     int64 `json:"filesDeleted"`
	EstimatedDeletes int64 `json:"estimatedFilesToDelete"`
	// Enhanced holds the counters only ENHANCED tasks report; nil for BASIC.
	Enhanced *Enhanced `json:"enhanced,omitempty"`

	// From Result: phase durations and statuses (PENDING, SUCCESS, ERROR; "" for a
	// phase that has not run), and DataSync's error on ERROR.
	Total, Prepare, Transfer, Verify            time.Duration `json:"-"`
	PrepareStatus, TransferStatus, VerifyStatus string        `json:"-"`
	ErrorCode                                   string        `json:"errorCode,omitempty"`
	ErrorDetail                                 string        `json:"errorDetail,omitempty"`
}

// Enhanced are the counters of ENHANCED mode: what DataSync listed at the source,
// prepared to transfer, and failed at each step.
type Enhanced struct {
	Listed         int64 `json:"listedAtSource"`
	Prepared       int64 `json:"prepared"`
	FailedPrepare  int64 `json:"failedPrepare"`
	FailedTransfer int64 `json:"failedTransfer"`
	FailedVerify   int64 `json:"failedVerify"`
	FailedDelete   int64 `json:"failedDelete"`
}

// Failed is the sum of the failure counters.
func (e *Enhanced) Failed() int64 {
	return e.FailedPrepare + e.FailedTransfer + e.FailedVerify + e.FailedDelete
}

// Done is whether the run has ended.
func (p Progress) Done() bool { return !running(types.TaskExecutionStatus(p.Status)) }

// Succeeded is whether the run ended in SUCCESS.
func (p Progress) Succeeded() bool { return p.Status == string(types.TaskExecutionStatusSuccess) }

// FilesTotal is what the files bar counts to: DataSync's estimate, or for ENHANCED
// tasks while the estimate is still 0, the files prepared so far.
func (p Progress) FilesTotal() int64 {
	if p.EstimatedFiles == 0 && p.Enhanced != nil {
		return p.Enhanced.Prepared
	}
	return p.EstimatedFiles
}

// Duration is how long the run took (Result's TotalDuration), or has been going
// at now.
func (p Progress) Duration(now time.Time) time.Duration {
	switch {
	case p.Total > 0:
		return p.Total
	case !p.End.IsZero() && !p.Start.IsZero():
		return p.End.Sub(p.Start)
	case !p.Start.IsZero():
		return now.Sub(p.Start)
	}
	return 0
}

// AverageRate is the bytes written per second of the transfer phase (of the whole
// run while the phase's duration is unknown); 0 when nothing can be said.
func (p Progress) AverageRate(now time.Time) float64 {
	d := p.Transfer
	if d <= 0 {
		d = p.Duration(now)
	}
	if d <= 0 || p.BytesWritten == 0 {
		return 0
	}
	return float64(p.BytesWritten) / d.Seconds()
}

func ms(v int64) time.Duration { return time.Duration(v) * time.Millisecond }

// progressOf reads a DescribeTaskExecution answer.
func progressOf(o *datasync.DescribeTaskExecutionOutput) Progress {
	p := Progress{
		Arn: aws.ToString(o.TaskExecutionArn), Status: string(o.Status), Mode: string(o.TaskMode),
		Start: aws.ToTime(o.StartTime), Launch: aws.ToTime(o.LaunchTime), End: aws.ToTime(o.EndTime),
		EstimatedFiles: o.EstimatedFilesToTransfer, EstimatedBytes: o.EstimatedBytesToTransfer,
		FilesTransferred: o.FilesTransferred, BytesWritten: o.BytesWritten, BytesTransferred: o.BytesTransferred,
		FilesVerified: o.FilesVerified, FilesSkipped: o.FilesSkipped, FilesDeleted: o.FilesDeleted,
		EstimatedDeletes: o.EstimatedFilesToDelete,
	}
	if p.Mode == "" {
		p.Mode = string(types.TaskModeBasic) // tasks from before task modes are BASIC
	}
	if o.TaskMode == types.TaskModeEnhanced {
		e := &Enhanced{Prepared: o.FilesPrepared}
		if l := o.FilesListed; l != nil {
			e.Listed = l.AtSource
		}
		if f := o.FilesFailed; f != nil {
			e.FailedPrepare, e.FailedTransfer, e.FailedVerify, e.FailedDelete = f.Prepare, f.Transfer, f.Verify, f.Delete
		}
		p.Enhanced = e
	}
	if r := o.Result; r != nil {
		p.Total, p.Prepare = ms(aws.ToInt64(r.TotalDuration)), ms(aws.ToInt64(r.PrepareDuration))
		p.Transfer, p.Verify = ms(aws.ToInt64(r.TransferDuration)), ms(aws.ToInt64(r.VerifyDuration))
		p.PrepareStatus, p.TransferStatus, p.VerifyStatus = string(r.PrepareStatus), string(r.TransferStatus), string(r.VerifyStatus)
		p.ErrorCode, p.ErrorDetail = aws.ToString(r.ErrorCode), aws.ToString(r.ErrorDetail)
	}
	return p
}

// Execution reads one execution (DescribeTaskExecution in the ARN's Region).
func (s *Session) Execution(ctx context.Context, e ExecutionArn) (Progress, error) {
	client, err := s.client(ctx, e.Account, e.Region)
	if err != nil {
		return Progress{}, err
	}
	out, err := client.DescribeTaskExecution(ctx, &datasync.DescribeTaskExecutionInput{TaskExecutionArn: aws.String(e.Arn)})
	if err != nil {
		return Progress{}, s.explainExecution(err, "DescribeTaskExecution", e)
	}
	return progressOf(out), nil
}

// Follow polls the execution every interval and calls seen with each answer, until
// the run ends (it returns the last answer) or ctx ends (it returns ctx's error).
func (s *Session) Follow(ctx context.Context, e ExecutionArn, interval time.Duration, seen func(Progress)) (Progress, error) {
	for {
		p, err := s.Execution(ctx, e)
		if ctx.Err() != nil {
			return p, ctx.Err()
		}
		if err != nil {
			return p, err
		}
		seen(p)
		if p.Done() {
			return p, nil
		}
		select {
		case <-ctx.Done():
			return p, ctx.Err()
		case <-time.After(interval):
		}
	}
}

// Rate is the recent write rate of a run, from the counters of successive polls.
type Rate struct {
	window  time.Duration
	samples []sample
}

type sample struct {
	at    time.Time
	bytes int64
}

// NewRate keeps the polls of the last window.
func NewRate(window time.Duration) *Rate { return &Rate{window: window} }

// Add records that bytes had been written at time at.
func (r *Rate) Add(at time.Time, bytes int64) {
	r.samples = append(r.samples, sample{at, bytes})
	for len(r.samples) > 2 && at.Sub(r.samples[0].at) > r.window {
		r.samples = r.samples[1:]
	}
}

// BytesPerSecond is the write rate over the window; 0 before two polls.
func (r *Rate) BytesPerSecond() float64 {
	if len(r.samples) < 2 {
		return 0
	}
	first, last := r.samples[0], r.samples[len(r.samples)-1]
	d := last.at.Sub(first.at).Seconds()
	if d <= 0 || last.bytes < first.bytes {
		return 0
	}
	return float64(last.bytes-first.bytes) / d
}

// TimeLeft is how long the rest of DataSync's byte estimate takes at rate; false
// when that cannot be said (no estimate yet, or nothing moving).
func TimeLeft(p Progress, rate float64) (time.Duration, bool) {
	if p.Done() || p.EstimatedBytes <= 0 || rate <= 0 {
		return 0, false
	}
	left := p.EstimatedBytes - p.BytesWritten
	if left <= 0 {
		return 0, true
	}
	return time.Duration(float64(left) / rate * float64(time.Second)), true
}
