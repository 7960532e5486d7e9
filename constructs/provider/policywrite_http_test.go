package provider

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/cfn"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3transfer/cdk-datasync/constructs/provider/resource"
)

// policyS3 is an S3 endpoint (REST, path-style) holding one bucket's policy. Its
// first write (PUT or DELETE ?policy) is answered 503 SlowDown without taking
// effect, and meanwhile another writer puts the policy in the field meanwhile: what a
// resend of the same write seconds later would overwrite or delete.
type policyS3 struct {
	mu        sync.Mutex
	policy    string // "": none
	meanwhile string
	writes    int
	refuse    int // how many writes are answered SlowDown (0: the first)
}

func (p *policyS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := r.URL.Query()["policy"]; !ok || r.URL.Path != "/acme-dst" {
		http.Error(w, "not served: "+r.Method+" "+r.URL.String(), http.StatusNotImplemented)
		return
	}
	if r.Method != http.MethodGet {
		if p.writes++; p.writes <= max(p.refuse, 1) {
			if p.writes == 1 {
				p.policy = p.meanwhile
			}
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>1</RequestId></Error>`)
			return
		}
	}
	switch r.Method {
	case http.MethodGet:
		if p.policy == "" {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchBucketPolicy</Code><Message>The bucket policy does not exist</Message></Error>`)
			return
		}
		io.WriteString(w, p.policy)
	case http.MethodPut:
		p.policy = string(body)
		w.WriteHeader(http.StatusNoContent)
	case http.MethodDelete:
		p.policy = ""
		w.WriteHeader(http.StatusNoContent)
	}
}

// TestPolicyWritesAreNotResent: a bucket-policy write answered SlowDown is not sent
// again by the SDK (its merge may be stale by then); the provider reads and merges
// again, so what another writer put meanwhile survives. Real S3 client, with the
// provider's retryer, against a local S3 endpoint.
func TestPolicyWritesAreNotResent(t *testing.T) {
	const theirs = `{"Version":"2012-10-17","Statement":[{"Sid":"WrittenMeanwhile","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::333333333333:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::acme-dst/*"}]}`
	ours := statementsProps("OursA")
	oursOnly := `{"Version":"2012-10-17","Statement":[` + stmt("OursA", "s3:ListBucket") + `]}`
	for _, c := range []struct {
		name, before string
		e            cfn.Event
		wantSids     []string
		refuse       int
	}{
		// A create merges ours in; the first write is refused while someone adds a
		// statement. A resend would write the merge of the old read, without it.
		{"put", "", event(cfn.RequestCreate, resource.TypeBucketPolicyStatements, "", ours, nil), []string{"WrittenMeanwhile", "OursA"}, 0},
		// A delete of a policy holding only ours; the first delete is refused while
		// someone puts a new policy. A resend would delete it.
		{"delete", oursOnly, event(cfn.RequestDelete, resource.TypeBucketPolicyStatements, "acme-dst/policy-statements", ours, nil), []string{"WrittenMeanwhile"}, 0},
		// S3 refuses every write: the merge gives up after its rounds, one write each.
		{"always SlowDown", "", event(cfn.RequestCreate, resource.TypeBucketPolicyStatements, "", ours, nil), nil, 1000},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := &policyS3{policy: c.before, meanwhile: theirs, refuse: c.refuse}
			ts := httptest.NewServer(srv)
			defer ts.Close()
			client := s3.New(s3.Options{Region: "us-west-2", BaseEndpoint: aws.String(ts.URL), UsePathStyle: true,
				Retryer: ThrottleRetryer(20 * time.Millisecond), Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")})
			h := &Handler{
				S3:             func(string) S3API { return client },
				Retry:          Backoff{Initial: time.Millisecond, Max: 4 * time.Millisecond, Budget: time.Second},
				PolicySettle:   time.Millisecond,
				PolicyReadBack: Backoff{Initial: time.Millisecond, Max: time.Millisecond, Budget: 10 * time.Millisecond},
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err := h.Handle(ctx, c.e)
			srv.mu.Lock()
			defer srv.mu.Unlock()
			t.Logf("writes sent: %d; err: %v; policy at the end: %s", srv.writes, err, srv.policy)
			if c.refuse > 0 {
				if err == nil || !strings.Contains(err.Error(), "SlowDown") || !strings.Contains(err.Error(), "in each of 5 rounds") || srv.writes != maxPolicyWrites {
					t.Errorf("want a failure after %d writes, one per round: %d writes, err %v", maxPolicyWrites, srv.writes, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := policyStatements(t, srv.policy)
			if len(got) != len(c.wantSids) {
				t.Errorf("policy holds %d statements, want %v:\n%s", len(got), c.wantSids, srv.policy)
			}
			for _, sid := range c.wantSids {
				if got[sid] == nil {
					t.Errorf("statement %s missing:\n%s", sid, srv.policy)
				}
			}
		})
	}
}
