package provider

import (
	"context"
	"fmt"
	"log"
	"regexp"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/datasync"
	dstypes "github.com/aws/aws-sdk-go-v2/service/datasync/types"
)

// Tags on every location, task and task execution the provider creates. They make
// creates at-most-once: CloudFormation invokes the provider asynchronously, and
// Lambda may deliver one event twice (or run it again after a crash), so a create
// first looks for an object that carries the tags of its own request and returns it
// instead of creating a second one.
//
// Why the request ID and not only the stack and logical ID: an update that replaces
// a location (new bucket or Region) or a task (new location or task mode) runs the
// create path while the object it replaces still exists, with the same stack and
// logical ID, until CloudFormation deletes it in the cleanup phase. Matching on
// stack and logical ID alone would hand back that old object, which CloudFormation
// then deletes. Matching on the properties instead would be subtle (which
// properties make "the same" object?) and would adopt objects from earlier requests,
// such as the one a failed replacement left behind. The RequestId is unique per
// CloudFormation request and identical in every delivery of that request, which is
// exactly "the same create, delivered again".
const (
	TagStackID   = "cdk-datasync:cloudformation-stack-id"
	TagLogicalID = "cdk-datasync:cloudformation-logical-id"
	TagRequestID = "cdk-datasync:cloudformation-request-id"
)

// DataSync tag limits (datasync-2018-11-09 API model: TagKey, TagValue, InputTagList).
const maxTags = 50

var tagValueInvalid = regexp.MustCompile(`[^a-zA-Z0-9\s+=._:@/-]`)

// tagValue makes s a valid DataSync tag value (pattern ^[a-zA-Z0-9\s+=._:@/-]+$, at
// most 256 characters). Stack ARNs, logical IDs and request IDs already are; the
// mapping only guards against surprises, and lookups apply the same mapping.
func tagValue(s string) string {
	s = tagValueInvalid.ReplaceAllString(s, "_")
	if len(s) > 256 {
		s = s[:256]
	}
	return s
}

// owner identifies the CloudFormation request an object was created for.
type owner struct{ stackID, logicalID, requestID string }

func ownerOf(event cfn.Event) owner {
	return owner{tagValue(event.StackID), tagValue(event.LogicalResourceID), tagValue(event.RequestID)}
}

// tags are the tags a create sets: the owner's, and a Name tag when name is set.
func (o owner) tags(name string) []dstypes.TagListEntry {
	tags := []dstypes.TagListEntry{
		{Key: aws.String(TagStackID), Value: aws.String(o.stackID)},
		{Key: aws.String(TagLogicalID), Value: aws.String(o.logicalID)},
		{Key: aws.String(TagRequestID), Value: aws.String(o.requestID)},
	}
	if name != "" {
		tags = append(tags, dstypes.TagListEntry{Key: aws.String("Name"), Value: aws.String(name)})
	}
	return tags
}

// owns reports whether the DataSync object arn carries all of o's tags. An empty
// requestID matches any request: the object was made for o's stack and logical ID.
func (h *Handler) owns(ctx context.Context, client DataSyncAPI, o owner, arn string) (bool, error) {
	want := map[string]string{TagStackID: o.stackID, TagLogicalID: o.logicalID, TagRequestID: o.requestID}
	if o.requestID == "" {
		delete(want, TagRequestID)
	}
	var next *string
	for {
		// An object has at most 50 tags: one page of 100 holds them all.
		page, err := client.ListTagsForResource(ctx, &datasync.ListTagsForResourceInput{ResourceArn: aws.String(arn), NextToken: next, MaxResults: aws.Int32(maxPage)})
		if err != nil {
			if isNotFound(err) {
				return false, nil // deleted since it was listed
			}
			return false, err
		}
		for _, t := range page.Tags {
			if v, ok := want[aws.ToString(t.Key)]; ok && v == aws.ToString(t.Value) {
				delete(want, aws.ToString(t.Key))
			}
		}
		if len(want) == 0 {
			return true, nil
		}
		if next = page.NextToken; next == nil {
			return false, nil
		}
	}
}

// maxPage is the largest page DataSync's list calls return (MaxResults, 0 to 100 in
// the datasync-2018-11-09 API model): fewer calls in an account with thousands of
// locations and tasks.
const maxPage = 100

// readLimit is how many reads (ListTagsForResource, DescribeTask, DescribeLocationS3)
// one request has in flight at once: a lookup among a hundred candidates takes the
// time of a dozen calls, while the request rate stays well inside what DataSync
// allows one account (throttled calls are retried by the client, see ThrottleRetryer).
const readLimit = 8

// firstMatch runs check on the items, at most readLimit at a time, and returns the
// first item in list order that check accepts, or "". It starts no new check once
// one is accepted or one fails; an error is returned only when no item is accepted.
func firstMatch(ctx context.Context, items []string, check func(context.Context, string) (bool, error)) (string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, readLimit)
	var wg sync.WaitGroup
	var mu sync.Mutex
	matchAt, errAt := len(items), len(items)
	var firstErr error
	for i, item := range items {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ok, err := check(ctx, item)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil && i < errAt:
				errAt, firstErr = i, err
				cancel()
			case ok && err == nil && i < matchAt:
				matchAt = i
				cancel()
			}
		}()
	}
	wg.Wait()
	switch {
	case matchAt < len(items):
		return items[matchAt], nil
	case firstErr != nil:
		return "", firstErr
	}
	// The caller's context ended before every item was checked.
	return "", context.Cause(ctx)
}

// locationUriPrefix is the LocationUri filter value for S3 locations on bucket under
// subdirectory: s3://<bucket>/<subdirectory>, a prefix of the URI DataSync gives a
// location made with these values (s3://<bucket>/<subdirectory>/). A subdirectory
// with characters outside both the LocationUri pattern (^(...|s3|...)://[a-zA-Z0-9.:/\-]+$)
// and the filter value pattern (FilterAttributeValue, at most 255 characters) of the
// datasync-2018-11-09 API model may appear otherwise in the URI: then only the bucket
// narrows the list, s3://<bucket>/.
func locationUriPrefix(bucket, subdirectory string) string {
	bucketOnly := "s3://" + bucket + "/"
	v := bucketOnly + strings.Trim(subdirectory, "/")
	if len(v) > 255 || !uriSafe.MatchString(v) {
		return bucketOnly
	}
	return v
}

var uriSafe = regexp.MustCompile(`^[a-zA-Z0-9.:/-]*$`)

// findLocation returns the S3 location that o created on the bucket under the
// subdirectory, or "". DataSync's own filters narrow the list to S3 locations whose
// URI starts with s3://<bucket>/<subdirectory>, so only those have their tags read.
func (h *Handler) findLocation(ctx context.Context, client DataSyncAPI, o owner, bucketArn, subdirectory string, also check) (string, error) {
	bucket := bucketArn[strings.LastIndex(bucketArn, ":")+1:]
	return h.findOwned(ctx, client, o, also, func(next *string) ([]string, *string, error) {
		page, err := client.ListLocations(ctx, &datasync.ListLocationsInput{NextToken: next, MaxResults: aws.Int32(maxPage), Filters: []dstypes.LocationFilter{
			{Name: dstypes.LocationFilterNameLocationType, Operator: dstypes.OperatorEq, Values: []string{"S3"}},
			{Name: dstypes.LocationFilterNameLocationUri, Operator: dstypes.OperatorBeginsWith, Values: []string{locationUriPrefix(bucket, subdirectory)}},
		}})
		if err != nil {
			return nil, nil, err
		}
		var arns []string
		for _, l := range page.Locations {
			arns = append(arns, aws.ToString(l.LocationArn))
		}
		return arns, page.NextToken, nil
	})
}

// findTask returns the task that o created from the source location, or "". The list
// is narrowed by DataSync's LocationId filter to tasks that use that location.
func (h *Handler) findTask(ctx context.Context, client DataSyncAPI, o owner, sourceLocationArn string, also check) (string, error) {
	return h.findOwned(ctx, client, o, also, func(next *string) ([]string, *string, error) {
		page, err := client.ListTasks(ctx, &datasync.ListTasksInput{NextToken: next, MaxResults: aws.Int32(maxPage), Filters: []dstypes.TaskFilter{
			{Name: dstypes.TaskFilterNameLocationId, Operator: dstypes.OperatorEq, Values: []string{sourceLocationArn}},
		}})
		if err != nil {
			return nil, nil, err
		}
		var arns []string
		for _, t := range page.Tasks {
			arns = append(arns, aws.ToString(t.TaskArn))
		}
		return arns, page.NextToken, nil
	})
}

// findExecution returns the execution of the task that o started, or "".
func (h *Handler) findExecution(ctx context.Context, client DataSyncAPI, o owner, taskArn string, also check) (string, error) {
	return h.findOwned(ctx, client, o, also, func(next *string) ([]string, *string, error) {
		page, err := client.ListTaskExecutions(ctx, &datasync.ListTaskExecutionsInput{TaskArn: aws.String(taskArn), NextToken: next, MaxResults: aws.Int32(maxPage)})
		if err != nil {
			return nil, nil, err
		}
		var arns []string
		for _, e := range page.TaskExecutions {
			arns = append(arns, aws.ToString(e.TaskExecutionArn))
		}
		return arns, page.NextToken, nil
	})
}

// check is a further condition on a candidate object of a lookup; nil accepts all.
type check func(ctx context.Context, arn string) (bool, error)

// findOwned returns the first object o owns (and also accepts) among those a paged
// DataSync list call returns (page gives one page's ARNs and the next token), or "".
// The candidates of one page are checked concurrently (firstMatch).
func (h *Handler) findOwned(ctx context.Context, client DataSyncAPI, o owner, also check, page func(next *string) ([]string, *string, error)) (string, error) {
	var next *string
	for {
		arns, token, err := page(next)
		if err != nil {
			return "", err
		}
		found, err := firstMatch(ctx, arns, func(ctx context.Context, arn string) (bool, error) {
			ok, err := h.owns(ctx, client, o, arn)
			if err != nil || !ok || also == nil {
				return ok, err
			}
			return also(ctx, arn)
		})
		if err != nil || found != "" {
			return found, err
		}
		if next = token; next == nil {
			return "", nil
		}
	}
}

// createOnce returns the object o already created (found by find), or creates one.
// Both run under the IAM-propagation retry: the role may be seconds old.
//
// The create call is sent once (createOnlyOnce: the SDK retries it only when
// throttled). After an error that leaves open whether DataSync carried it out (a
// connection reset, a timeout, a 5xx: mayHaveActed), createOnce looks again for
// what its request made before it creates again, waiting with h.Retry's backoff,
// for as long as that budget and ctx (the Lambda deadline less the margin) allow;
// so one request makes at most one object.
func (h *Handler) createOnce(ctx context.Context, what string, o owner, find func(owner) (string, error), create func() (string, error)) (Result, error) {
	var arn string
	var err error
	attempts, spent, loopErr := h.Retry.loop(ctx, func() bool {
		arn, err = retryIAM(ctx, h.Retry, "looking for an earlier "+what, func() (string, error) { return find(o) })
		if err == nil && arn == "" {
			arn, err = retryIAM(ctx, h.Retry, what, create)
		}
		if err != nil && mayHaveActed(err) {
			log.Printf("%s: %v; it may have taken effect: looking for its result before sending it again", what, err)
			return false
		}
		return true
	})
	switch {
	case err == nil:
		return arnResult(arn), nil
	case loopErr != nil && mayHaveActed(err):
		return Result{}, fmt.Errorf("%s: %d attempts over %s each failed in a way that leaves open whether DataSync acted "+
			"(after each the provider looked for the result of this request and found none) (%v): %w", what, attempts, spent, loopErr, err)
	}
	return Result{}, err
}
