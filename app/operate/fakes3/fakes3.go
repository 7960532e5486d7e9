// Package fakes3 is a local S3 endpoint for tests of code that uses the real SDK
// client with the credentials of several accounts: gofakes3 (an in-memory server
// speaking S3's REST protocol) behind a gate that reads which access key signed each
// request (the SigV4 Authorization header's Credential=AKID/DATE/REGION/s3/...), maps
// it to its account, records it, and answers 403 AccessDenied, as S3 does, when that
// account neither owns the bucket nor was granted it. Point the SDK at URL with
// AWS_ENDPOINT_URL_S3 (an IP endpoint, so the SDK addresses buckets path-style).
package fakes3

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Request is one request the gate let through or refused.
type Request struct {
	Method, Bucket, Key string
	// Query is the request's query string (e.g. list-type=2).
	Query string
	// Account is the account of the signing key, AccessKey the key.
	Account, AccessKey string
	Denied             bool
}

// Server is the fake S3 endpoint.
type Server struct {
	*httptest.Server
	Backend *s3mem.Backend

	mu       sync.Mutex
	keys     map[string]string          // access key -> account
	owners   map[string]string          // bucket -> account
	grants   map[string]map[string]bool // bucket -> accounts granted besides the owner
	denied   map[string]bool            // bucket + " " + account: refused whatever the owner
	requests []Request
}

// New starts a server; close it with Close.
func New() *Server {
	s := &Server{Backend: s3mem.New(), keys: map[string]string{}, owners: map[string]string{}, grants: map[string]map[string]bool{}, denied: map[string]bool{}}
	faker := gofakes3.New(s.Backend)
	s.Server = httptest.NewServer(s.gate(faker.Server()))
	return s
}

// AddKey makes accessKeyID a key of account.
func (s *Server) AddKey(accessKeyID, account string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[accessKeyID] = account
}

// AddBucket creates bucket, owned by account.
func (s *Server) AddBucket(bucket, account string) {
	if err := s.Backend.CreateBucket(bucket); err != nil {
		panic(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.owners[bucket] = account
}

// Grant lets account use bucket (as a bucket policy would).
func (s *Server) Grant(bucket, account string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.grants[bucket] == nil {
		s.grants[bucket] = map[string]bool{}
	}
	s.grants[bucket][account] = true
}

// Deny refuses account every request on bucket, as a missing IAM permission does.
func (s *Server) Deny(bucket, account string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denied[bucket+" "+account] = true
}

// Put stores an object.
func (s *Server) Put(bucket, key string, body []byte) {
	if _, err := s.Backend.PutObject(bucket, key, map[string]string{}, bytes.NewReader(body), int64(len(body)), nil); err != nil {
		panic(err)
	}
}

// Get reads an object; ok is false when it does not exist.
func (s *Server) Get(bucket, key string) (body []byte, ok bool) {
	obj, err := s.Backend.GetObject(bucket, key, nil)
	if err != nil {
		return nil, false
	}
	defer obj.Contents.Close()
	var b bytes.Buffer
	if _, err := b.ReadFrom(obj.Contents); err != nil {
		return nil, false
	}
	return b.Bytes(), true
}

// Requests returns the requests seen so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// credentialRe reads the access key and service of a SigV4 Authorization header.
var credentialRe = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/aws4_request,`)

func (s *Server) gate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := strings.TrimPrefix(r.URL.Path, "/")
		bucket, key, _ := strings.Cut(path, "/")
		if k, err := url.PathUnescape(key); err == nil {
			key = k
		}
		req := Request{Method: r.Method, Bucket: bucket, Key: key, Query: r.URL.RawQuery}
		m := credentialRe.FindStringSubmatch(r.Header.Get("Authorization"))
		s.mu.Lock()
		if m != nil && m[3] == "s3" {
			req.AccessKey = m[1]
			req.Account = s.keys[m[1]]
		}
		owner, known := s.owners[bucket]
		allowed := req.Account != "" && (!known || owner == req.Account || s.grants[bucket][req.Account]) && !s.denied[bucket+" "+req.Account]
		req.Denied = !allowed
		s.requests = append(s.requests, req)
		s.mu.Unlock()
		if m == nil || req.Account == "" {
			deny(w, r, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
			return
		}
		if !allowed {
			deny(w, r, "AccessDenied", fmt.Sprintf("User: arn:aws:sts::%s:assumed-role/operator/session is not authorized to perform: %s on resource: \"arn:aws:s3:::%s\" because no resource-based policy allows the %s action",
				req.Account, action(r, key), bucket, action(r, key)))
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithoutCancel(r.Context())))
	})
}

// action is the IAM action of an S3 request, for the denial's message.
func action(r *http.Request, key string) string {
	switch {
	case key == "" && r.URL.Query().Has("versions"):
		return "s3:ListBucketVersions"
	case key == "":
		return "s3:ListBucket"
	case r.Method == http.MethodPut:
		return "s3:PutObject"
	case r.Method == http.MethodDelete:
		return "s3:DeleteObject"
	}
	return "s3:GetObject"
}

func deny(w http.ResponseWriter, r *http.Request, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusForbidden)
	if r.Method == http.MethodHead {
		return // HEAD answers carry no body
	}
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>fake</RequestId></Error>`, code, html.EscapeString(msg))
}
