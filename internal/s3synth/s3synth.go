// Package s3synth is an S3 server for benchmarks whose buckets hold a synthetic key
// space: object i of a bucket is computed from i, never stored, so a million objects
// cost no memory and no disk. It answers ListObjectsV2 (Prefix, StartAfter,
// ContinuationToken, MaxKeys) in S3's XML, in key order, after a delay per request,
// and counts requests. Keys are zero-padded so that key order is index order, which
// lets a request find its first key by binary search.
package s3synth

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
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
}

// Key is the key of object i.
func (b Bucket) Key(i int) string {
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
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.Requests.Add(1)
	if !Pause(r, s.Delay) {
		return
	}
	name := strings.Trim(r.URL.Path, "/")
	b, ok := s.Buckets[name]
	q := r.URL.Query()
	if !ok || r.Method != http.MethodGet || q.Get("list-type") != "2" {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchBucket</Code><Message>only ListObjectsV2 of %v</Message></Error>`, keysOf(s.Buckets))
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
	maxKeys := 1000
	if m, err := strconv.Atoi(q.Get("max-keys")); err == nil && m >= 0 && m < 1000 {
		maxKeys = m
	}
	// The first object after both the start and the prefix.
	i := sort.Search(b.Objects, func(i int) bool { k := b.Key(i); return k > after && k >= prefix })
	var sb strings.Builder
	sb.Grow(256 * maxKeys)
	sb.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>`)
	sb.WriteString(name)
	sb.WriteString("</Name><Prefix>")
	sb.WriteString(prefix)
	sb.WriteString("</Prefix>")
	n, last, truncated := 0, "", false
	modified := s.Modified.UTC().Format("2006-01-02T15:04:05.000Z")
	var contents strings.Builder
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
		sum := md5.Sum([]byte(k))
		contents.WriteString("<Contents><Key>")
		contents.WriteString(k)
		contents.WriteString("</Key><LastModified>")
		contents.WriteString(modified)
		contents.WriteString("</LastModified><ETag>&quot;")
		contents.WriteString(hex.EncodeToString(sum[:]))
		contents.WriteString("&quot;</ETag><ChecksumAlgorithm>CRC64NVME</ChecksumAlgorithm><ChecksumType>FULL_OBJECT</ChecksumType><Size>")
		contents.WriteString(strconv.Itoa(1024 + i%4096))
		contents.WriteString("</Size><StorageClass>STANDARD</StorageClass></Contents>")
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
	sb.WriteString("</ListBucketResult>")
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Content-Length", strconv.Itoa(sb.Len()))
	_, _ = w.Write([]byte(sb.String()))
}

func keysOf(m map[string]Bucket) []string {
	var out []string
	for k := range m {
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
