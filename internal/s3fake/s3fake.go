// Package s3fake is a local S3 server for tests of code that uses the real SDK
// client: gofakes3 (github.com/johannesboyne/gofakes3, in memory, with versioning)
// behind a thin layer that adds what gofakes3 v1.2.0 lacks and the tests need:
//
//   - storage classes: gofakes3 stores none and lists every object as STANDARD
//     (uploader.go "FIXME"), so the layer keeps the x-amz-storage-class of each PUT
//     and reports it in ListObjectsV2 and HeadObject (archived objects);
//   - checksums: gofakes3 neither stores nor returns x-amz-checksum-*, so the layer
//     keeps the checksum header of each PUT and returns it from HeadObject when the
//     checksum mode is on, and its algorithm and type in ListObjectsV2;
//   - SSE-KMS: gofakes3 does not encrypt, so an object PUT with
//     x-amz-server-side-encryption aws:kms gets an ETag that is not its MD5 (as S3
//     gives it) in ListObjectsV2 and HeadObject, which also returns the header;
//   - accounts: with Owners and Keys set, a request signed with an access key of
//     another account than the bucket owner's is refused (403 AccessDenied), as S3
//     refuses it without a bucket policy;
//   - a delay per request, for benchmarks and progress displays.
//
// Point a client at URL with BaseEndpoint; an IP address makes the SDK use
// path-style requests.
package s3fake

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/xml"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/s3transfer/cdk-datasync/internal/s3synth"
)

// Server is a running fake S3.
type Server struct {
	URL     string
	Backend *s3mem.Backend
	// Delay is added to every request.
	Delay time.Duration
	// Requests counts the requests served.
	Requests atomic.Int64
	// Clock is the servers's time (LastModified of what is written): it starts at
	// the time New was called and moves only with Advance.
	Clock gofakes3.TimeSourceAdvancer

	srv   *httptest.Server
	inner http.Handler

	mu      sync.Mutex
	classes map[string]string    // bucket/key -> storage class
	sums    map[string][2]string // bucket/key -> algorithm, value
	etags   map[string]string    // bucket/key -> ETag of a multipart upload or an SSE-KMS object
	sse     map[string]string    // bucket/key -> x-amz-server-side-encryption of an SSE-KMS object
	owners  map[string]string    // bucket -> account
	keys    map[string]string    // access key -> account
	refuse  map[string]bool      // "METHOD bucket" refused to everyone
	denied  []string             // requests refused, for test messages
}

// New starts a server; it stops when the test ends.
func New(t interface{ Cleanup(func()) }) *Server {
	clock := gofakes3.FixedTimeSource(time.Now().UTC().Truncate(time.Second))
	b := s3mem.New(s3mem.WithTimeSource(clock))
	s := &Server{
		Backend: b,
		Clock:   clock,
		inner:   gofakes3.New(b, gofakes3.WithTimeSkewLimit(0), gofakes3.WithTimeSource(clock)).Server(),
		classes: map[string]string{}, sums: map[string][2]string{}, etags: map[string]string{}, sse: map[string]string{}, owners: map[string]string{}, keys: map[string]string{}, refuse: map[string]bool{},
	}
	s.srv = httptest.NewServer(s)
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

// Own makes account the owner of bucket: requests signed with another account's
// access key are refused.
func (s *Server) Own(bucket, account string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.owners[bucket] = account
}

// Refuse makes every request of method (GET, HEAD, ...) on bucket fail with 403,
// as a policy that allows listing but not reading does.
func (s *Server) Refuse(method, bucket string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse[method+" "+bucket] = true
}

// Key registers an access key of account.
func (s *Server) Key(accessKey, account string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[accessKey] = account
}

// SetChecksum sets the checksum HeadObject returns for an object (for objects
// written in parts, whose checksum the layer does not see).
func (s *Server) SetChecksum(bucket, key, algorithm, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sums[bucket+"/"+key] = [2]string{algorithm, value}
}

// Denied lists the requests refused for the account check ("account KEY-ACCOUNT on
// bucket B of OWNER").
func (s *Server) Denied() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.denied...)
}

// Client is an SDK client of the server signed with accessKey (any string when the
// server checks no accounts).
func (s *Server) Client(accessKey string) *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.URL),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(accessKey, "secret", ""),
		Retryer:      aws.NopRetryer{},
	})
}

var credentialRe = regexp.MustCompile(`Credential=([^/]+)/`)

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.Requests.Add(1)
	if !s3synth.Pause(r, s.Delay) {
		return
	}
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if !s.allowed(r, bucket) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`)
		return
	}
	id := bucket + "/" + key
	switch r.Method {
	case http.MethodPut:
		if key == "" || r.URL.Query().Has("tagging") || r.URL.Query().Has("uploadId") {
			break
		}
		s.mu.Lock()
		delete(s.etags, id)
		if c := r.Header.Get("X-Amz-Storage-Class"); c != "" {
			s.classes[id] = c
		} else {
			delete(s.classes, id)
		}
		delete(s.sums, id)
		delete(s.sse, id)
		// S3: an object encrypted with SSE-KMS has an ETag that is not an MD5 of its
		// content (S3 API reference, Object: ETag); gofakes3 does not encrypt, so
		// such an object gets an ETag of its name instead, as listed and headed.
		if enc := r.Header.Get("X-Amz-Server-Side-Encryption"); strings.HasPrefix(enc, "aws:kms") {
			s.sse[id] = enc
			s.etags[id] = fmt.Sprintf("%q", fmt.Sprintf("%x", md5.Sum([]byte("sse-kms "+id))))
		}
		for _, alg := range []string{"CRC64NVME", "CRC32", "CRC32C", "SHA1", "SHA256"} {
			if v := r.Header.Get("X-Amz-Checksum-" + alg); v != "" {
				s.sums[id] = [2]string{alg, v}
			}
		}
		s.mu.Unlock()
	case http.MethodPost:
		if !r.URL.Query().Has("uploadId") {
			break
		}
		// gofakes3 stores a completed multipart upload with the MD5 of its whole
		// content as ETag, and returns the "-N" ETag only here: keep that one, as
		// S3 lists and heads it.
		rec := httptest.NewRecorder()
		s.inner.ServeHTTP(rec, r)
		if m := etagRe.FindSubmatch(rec.Body.Bytes()); m != nil && rec.Code == http.StatusOK {
			s.mu.Lock()
			s.etags[id] = html.UnescapeString(string(m[1]))
			delete(s.sums, id)
			s.mu.Unlock()
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
		return
	case http.MethodHead:
		if key == "" {
			break
		}
		rec := httptest.NewRecorder()
		s.inner.ServeHTTP(rec, r)
		s.mu.Lock()
		class, sum, etag, enc := s.classes[id], s.sums[id], s.etags[id], s.sse[id]
		s.mu.Unlock()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		if etag != "" {
			w.Header().Set("ETag", etag)
		}
		if class != "" {
			w.Header().Set("X-Amz-Storage-Class", class)
		}
		if enc != "" {
			w.Header().Set("X-Amz-Server-Side-Encryption", enc)
		}
		if sum[0] != "" && r.Header.Get("X-Amz-Checksum-Mode") == "ENABLED" {
			w.Header().Set("X-Amz-Checksum-"+sum[0], sum[1])
			w.Header().Set("X-Amz-Checksum-Type", "FULL_OBJECT")
		}
		w.WriteHeader(rec.Code)
		return
	case http.MethodGet:
		if key == "" && r.URL.Query().Get("list-type") == "2" {
			rec := httptest.NewRecorder()
			s.inner.ServeHTTP(rec, r)
			body := s.annotate(bucket, rec.Body.Bytes())
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.Header().Set("Content-Length", fmt.Sprint(len(body)))
			w.WriteHeader(rec.Code)
			w.Write(body)
			return
		}
	}
	s.inner.ServeHTTP(w, r)
}

func (s *Server) allowed(r *http.Request, bucket string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.refuse[r.Method+" "+bucket] {
		return false
	}
	owner, ok := s.owners[bucket]
	if !ok || len(s.keys) == 0 {
		return true
	}
	m := credentialRe.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		s.denied = append(s.denied, "unsigned request on bucket "+bucket)
		return false
	}
	if acct := s.keys[m[1]]; acct != owner {
		s.denied = append(s.denied, fmt.Sprintf("account %q (key %s) on bucket %s of %s", acct, m[1], bucket, owner))
		return false
	}
	return true
}

var contentsRe = regexp.MustCompile(`(?s)<Contents>.*?</Contents>`)
var keyRe = regexp.MustCompile(`<Key>(.*?)</Key>`)
var classRe = regexp.MustCompile(`<StorageClass>.*?</StorageClass>`)
var etagRe = regexp.MustCompile(`<ETag>(.*?)</ETag>`)

// annotate puts the stored storage classes and checksum algorithms into a
// ListObjectsV2 answer.
func (s *Server) annotate(bucket string, body []byte) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.classes) == 0 && len(s.sums) == 0 && len(s.etags) == 0 {
		return body
	}
	return contentsRe.ReplaceAllFunc(body, func(c []byte) []byte {
		m := keyRe.FindSubmatch(c)
		if m == nil {
			return c
		}
		id := bucket + "/" + html.UnescapeString(string(m[1]))
		extra := ""
		if etag := s.etags[id]; etag != "" {
			c = etagRe.ReplaceAll(c, []byte("<ETag>"+escape(etag)+"</ETag>"))
		}
		if class := s.classes[id]; class != "" {
			c = classRe.ReplaceAll(c, nil)
			extra += "<StorageClass>" + escape(class) + "</StorageClass>"
		}
		if sum := s.sums[id]; sum[0] != "" {
			extra += "<ChecksumAlgorithm>" + sum[0] + "</ChecksumAlgorithm><ChecksumType>FULL_OBJECT</ChecksumType>"
		}
		return bytes.Replace(c, []byte("</Contents>"), []byte(extra+"</Contents>"), 1)
	})
}

func escape(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// Bucket creates a bucket (versioned when versioned is set).
func (s *Server) Bucket(ctx context.Context, c *s3.Client, name string, versioned bool) error {
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		return err
	}
	if versioned {
		_, err := c.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
			Bucket:                  aws.String(name),
			VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled},
		})
		return err
	}
	return nil
}
