// Package s3synth is an S3 server for benchmarks whose buckets hold a synthetic key
// space: object i of a bucket is computed from i, never stored, so a million objects
// cost no memory and no disk. It answers ListObjectsV2 (Prefix, StartAfter,
// ContinuationToken, MaxKeys) in S3's XML, in key order, after a delay per request,
// and counts requests. Keys are zero-padded so that key order is index order, which
// lets a request find its first key by binary search. Bucket.At computes objects of
// any key, size, storage class, ETag and time from their index instead (estimate's
// tests); with Server.Keys set, a bucket answers only its Owner's and its Readers'
// access keys, as S3 answers callers without permission (403 AccessDenied).
package s3synth

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
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
	"sync/atomic"
	"time"
)

// Layout names how keys look.
type Layout string

const (
	// Flat keys: "00000042.bin", no "/" at all.
	Flat Layout = "flat"
	// Nested keys: "d0000/e00/f00000042.bin", a hierarchy 100 wide at each level.
	Nested Layout = "nested"
)

// Bucket is one bucket's key space.
type Bucket struct {
	Layout Layout
	// Objects is the number of objects.
	Objects int
	// Skip, when > 0, leaves out every Skip-th object (a destination with gaps).
	Skip int
	// At, when set, computes object i (key, size, storage class, ETag, time) in place
	// of the Layout's key and the default size. Its keys must sort as their indexes
	// do. Default: the Layout's keys, 1024+i%4096 bytes, STANDARD.
	At func(i int) Object
	// Owner is the account that owns the bucket. With Server.Keys set, only
	// requests signed with an access key of Owner or of one of Readers (accounts a
	// bucket policy grants s3:ListBucket) are answered; others get 403
	// AccessDenied, as S3 answers a caller without permission. Default: "", anyone.
	Owner   string
	Readers []string
}

// Object is one object of a synthetic bucket, computed from its index.
type Object struct {
	Key  string
	Size int64
	// StorageClass "" is STANDARD.
	StorageClass string
	// ETag "" is the MD5 of the key.
	ETag string
	// LastModified zero is the server's Modified.
	LastModified time.Time
}

// Object is object i: At(i) when At is set, else the Layout's key with the default
// size.
func (b Bucket) Object(i int) Object {
	if b.At != nil {
		return b.At(i)
	}
	return Object{Key: b.Key(i), Size: int64(1024 + i%4096)}
}

// Key is the key of object i.
func (b Bucket) Key(i int) string {
	if b.At != nil {
		return b.At(i).Key
	}
	if b.Layout == Nested {
		return fmt.Sprintf("d%04d/e%02d/f%08d.bin", i/10000, (i/100)%100, i)
	}
	return fmt.Sprintf("%08d.bin", i)
}

func (b Bucket) present(i int) bool { return b.Skip <= 0 || i%b.Skip != b.Skip-1 }

// Server serves buckets by name.
type Server struct {
	Buckets map[string]Bucket
	// Delay is added to every request.
	Delay time.Duration
	// Requests counts the requests served.
	Requests atomic.Int64
	// Modified is every object's LastModified.
	Modified time.Time
	// Keys maps access key IDs to accounts; when set, requests are checked against
	// each bucket's Owner and Readers, and an unknown key is refused (403
	// InvalidAccessKeyId). Default: nil, no checks.
	Keys map[string]string
	// URL is where Start serves s.
	URL string

	// mu guards Buckets and Keys for AddBucket and AddKey while serving.
	mu sync.RWMutex
}

// Start serves s on a local HTTP server until the test ends, and sets URL (an IP
// address: the SDK uses path-style requests there).
func (s *Server) Start(t interface{ Cleanup(func()) }) *Server {
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	s.URL = hs.URL
	return s
}

// AddBucket adds (or replaces) a bucket, also while the server is serving.
func (s *Server) AddBucket(name string, b Bucket) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Buckets == nil {
		s.Buckets = map[string]Bucket{}
	}
	s.Buckets[name] = b
}

// AddKey makes an access key ID the credentials of account (and turns the account
// checks on).
func (s *Server) AddKey(id, account string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Keys == nil {
		s.Keys = map[string]string{}
	}
	s.Keys[id] = account
}

func (s *Server) bucket(name string) (Bucket, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.Buckets[name]
	return b, ok
}

var credentialRe = regexp.MustCompile(`Credential=([^/]+)/`)

// denied writes S3's refusal when the request's credentials may not list bucket b;
// false when they may.
func (s *Server) denied(w http.ResponseWriter, r *http.Request, name string, b Bucket) bool {
	s.mu.RLock()
	checked := len(s.Keys) > 0
	account := ""
	if m := credentialRe.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		account = s.Keys[m[1]]
	}
	s.mu.RUnlock()
	if !checked {
		return false
	}
	w.Header().Set("Content-Type", "application/xml")
	switch {
	case account == "":
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InvalidAccessKeyId</Code><Message>The AWS Access Key Id you provided does not exist in our records.</Message></Error>`)
		return true
	case b.Owner != "" && b.Owner != account && !slices.Contains(b.Readers, account):
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>User: arn:aws:sts::%s:assumed-role/operator/session is not authorized to perform: s3:ListBucket on resource: &quot;arn:aws:s3:::%s&quot; because no resource-based policy allows the s3:ListBucket action</Message></Error>`, account, name)
		return true
	}
	return false
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.Requests.Add(1)
	if !Pause(r, s.Delay) {
		return
	}
	name := strings.Trim(r.URL.Path, "/")
	b, ok := s.bucket(name)
	q := r.URL.Query()
	if !ok || r.Method != http.MethodGet || q.Get("list-type") != "2" {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchBucket</Code><Message>only ListObjectsV2 of %v</Message></Error>`, s.names())
		return
	}
	if s.denied(w, r, name, b) {
		return
	}
	prefix := q.Get("prefix")
	after := q.Get("start-after")
	if tok := q.Get("continuation-token"); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		after = string(raw)
	}
	delimiter := q.Get("delimiter")
	maxKeys := 1000
	if m, err := strconv.Atoi(q.Get("max-keys")); err == nil && m >= 0 && m < 1000 {
		maxKeys = m
	}
	// The first object after both the start and the prefix.
	// After a common prefix (a continuation of a listing with a delimiter), the
	// keys under it are done too.
	skipUnder := delimiter != "" && strings.HasSuffix(after, delimiter)
	i := sort.Search(b.Objects, func(i int) bool {
		k := b.Key(i)
		return k > after && k >= prefix && !(skipUnder && strings.HasPrefix(k, after))
	})
	var sb strings.Builder
	sb.Grow(256 * maxKeys)
	sb.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>`)
	sb.WriteString(name)
	sb.WriteString("</Name><Prefix>")
	sb.WriteString(prefix)
	sb.WriteString("</Prefix>")
	n, last, truncated := 0, "", false
	modified := s.Modified.UTC().Format("2006-01-02T15:04:05.000Z")
	var contents, prefixes strings.Builder
	for ; i < b.Objects; i++ {
		k := b.Key(i)
		if !strings.HasPrefix(k, prefix) {
			break
		}
		if !b.present(i) {
			continue
		}
		if n == maxKeys {
			truncated = true
			break
		}
		if d := strings.Index(k[len(prefix):], delimiter); delimiter != "" && d >= 0 {
			// A common prefix stands for every key under it: skip them all.
			cp := k[:len(prefix)+d+len(delimiter)]
			prefixes.WriteString("<CommonPrefixes><Prefix>")
			xml.EscapeText(&prefixes, []byte(cp))
			prefixes.WriteString("</Prefix></CommonPrefixes>")
			n++
			last = cp
			i = sort.Search(b.Objects, func(j int) bool { return b.Key(j) > cp && !strings.HasPrefix(b.Key(j), cp) }) - 1
			continue
		}
		sum := md5.Sum([]byte(k))
		contents.WriteString("<Contents><Key>")
		xml.EscapeText(&contents, []byte(k))
		o := b.Object(i)
		writeFields(&contents, o, modified, hex.EncodeToString(sum[:]))
		n++
		last = k
	}
	fmt.Fprintf(&sb, "<KeyCount>%d</KeyCount><MaxKeys>%d</MaxKeys><IsTruncated>%v</IsTruncated>", n, maxKeys, truncated)
	if truncated {
		sb.WriteString("<NextContinuationToken>")
		sb.WriteString(base64.RawURLEncoding.EncodeToString([]byte(last)))
		sb.WriteString("</NextContinuationToken>")
	}
	sb.WriteString(contents.String())
	sb.WriteString(prefixes.String())
	sb.WriteString("</ListBucketResult>")
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(sb.Len()))
	_, _ = w.Write([]byte(sb.String()))
}

// writeFields writes an object's fields after its key: the object's own time,
// ETag and class where it has them, else modified, etag and STANDARD.
func writeFields(sb *strings.Builder, o Object, modified, etag string) {
	if !o.LastModified.IsZero() {
		modified = o.LastModified.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	if o.ETag != "" {
		etag = o.ETag
	}
	class := o.StorageClass
	if class == "" {
		class = "STANDARD"
	}
	sb.WriteString("</Key><LastModified>")
	sb.WriteString(modified)
	sb.WriteString("</LastModified><ETag>&quot;")
	sb.WriteString(etag)
	sb.WriteString("&quot;</ETag><ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm><ChecksumType>FULL_OBJECT</ChecksumType><Size>")
	sb.WriteString(strconv.FormatInt(o.Size, 10))
	sb.WriteString("</Size><StorageClass>")
	sb.WriteString(class)
	sb.WriteString("</StorageClass></Contents>")
}

func (s *Server) names() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []string
	for k := range s.Buckets {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Pause waits d before a request is answered, as a remote server's latency; false
// when the client gave up meanwhile.
func Pause(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	select {
	case <-time.After(d):
		return true
	case <-r.Context().Done():
		return false
	}
}
