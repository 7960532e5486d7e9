// Package fakes3 is a local server speaking the part of S3's REST protocol a listing
// uses, ListObjectsV2 (GET /BUCKET?list-type=2, path-style, XML), for tests with the
// real SDK client (an http://127.0.0.1 endpoint makes the SDK use path-style). A
// bucket's objects are computed from their index, not stored: a bucket of millions
// of objects costs no memory. Buckets are answered only for the account that owns
// them (the access key's account), else 403 AccessDenied, as S3 does for a caller
// without permission.
package fakes3

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Object is one object of a synthetic bucket.
type Object struct {
	Key          string
	Size         int64
	StorageClass string // "" is STANDARD
	ETag         string
	LastModified time.Time
}

// Bucket is a synthetic bucket: N objects, the i-th given by At(i), in key order
// (At must return keys that sort as their indexes do).
type Bucket struct {
	Owner string // account ID
	// Readers are other accounts whose credentials may list the bucket (a bucket
	// policy granting them s3:ListBucket).
	Readers []string
	N       int
	At      func(i int) Object
}

// Server is the fake S3 endpoint.
type Server struct {
	*httptest.Server
	mu      sync.Mutex
	keys    map[string]string // access key ID -> account
	buckets map[string]*Bucket
	// Requests counts the ListObjectsV2 requests answered.
	Requests int
}

// New starts a server.
func New() *Server {
	s := &Server{keys: map[string]string{}, buckets: map[string]*Bucket{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// AddKey makes an access key ID the credentials of account.
func (s *Server) AddKey(id, account string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[id] = account
}

// AddBucket adds a bucket.
func (s *Server) AddBucket(name string, b *Bucket) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buckets[name] = b
}

var credRe = regexp.MustCompile(`Credential=([^/]+)/`)

type listResult struct {
	XMLName               xml.Name   `xml:"ListBucketResult"`
	Xmlns                 string     `xml:"xmlns,attr"`
	Name                  string     `xml:"Name"`
	Prefix                string     `xml:"Prefix"`
	KeyCount              int        `xml:"KeyCount"`
	MaxKeys               int        `xml:"MaxKeys"`
	IsTruncated           bool       `xml:"IsTruncated"`
	ContinuationToken     string     `xml:"ContinuationToken,omitempty"`
	NextContinuationToken string     `xml:"NextContinuationToken,omitempty"`
	StartAfter            string     `xml:"StartAfter,omitempty"`
	Contents              []contents `xml:"Contents"`
}

type contents struct {
	Key          string `xml:"Key"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int64  `xml:"Size"`
	StorageClass string `xml:"StorageClass"`
}

func fail(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>fake</RequestId></Error>`, code, msg)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	m := credRe.FindStringSubmatch(r.Header.Get("Authorization"))
	s.mu.Lock()
	account := ""
	if m != nil {
		account = s.keys[m[1]]
	}
	name := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 2)[0]
	b := s.buckets[name]
	s.Requests++
	s.mu.Unlock()
	q := r.URL.Query()
	switch {
	case account == "":
		fail(w, http.StatusForbidden, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
		return
	case r.Method != http.MethodGet || q.Get("list-type") != "2":
		fail(w, http.StatusNotImplemented, "NotImplemented", "only ListObjectsV2 is implemented")
		return
	case b == nil:
		fail(w, http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist")
		return
	case b.Owner != account && !slices.Contains(b.Readers, account):
		fail(w, http.StatusForbidden, "AccessDenied", "User: arn:aws:sts::"+account+":assumed-role/operator/x is not authorized to perform: s3:ListBucket on resource: \"arn:aws:s3:::"+name+"\"")
		return
	}
	prefix, after := q.Get("prefix"), q.Get("start-after")
	if t := q.Get("continuation-token"); t != "" {
		after = t
	}
	max := 1000
	if v, err := strconv.Atoi(q.Get("max-keys")); err == nil && v > 0 && v < max {
		max = v
	}
	// the first index whose key is after `after` and not before the prefix
	from := max1(after, prefix)
	i := sort.Search(b.N, func(i int) bool {
		k := b.At(i).Key
		if after != "" && k <= after {
			return false
		}
		return k >= from
	})
	out := listResult{Xmlns: "http://s3.amazonaws.com/doc/2006-03-01/", Name: name, Prefix: prefix, MaxKeys: max,
		ContinuationToken: q.Get("continuation-token"), StartAfter: q.Get("start-after")}
	for ; i < b.N; i++ {
		o := b.At(i)
		if !strings.HasPrefix(o.Key, prefix) {
			break
		}
		if len(out.Contents) == max {
			out.IsTruncated = true
			out.NextContinuationToken = out.Contents[len(out.Contents)-1].Key
			break
		}
		class := o.StorageClass
		if class == "" {
			class = "STANDARD"
		}
		etag := o.ETag
		if etag == "" {
			etag = fmt.Sprintf("%032x", i)
		}
		lm := o.LastModified
		if lm.IsZero() {
			lm = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		out.Contents = append(out.Contents, contents{Key: o.Key, Size: o.Size, StorageClass: class, ETag: `"` + etag + `"`,
			LastModified: lm.UTC().Format("2006-01-02T15:04:05.000Z")})
	}
	out.KeyCount = len(out.Contents)
	w.Header().Set("Content-Type", "application/xml")
	w.Write([]byte(xml.Header))
	xml.NewEncoder(w).Encode(out)
}

func max1(a, b string) string {
	if a > b {
		return a
	}
	return b
}
