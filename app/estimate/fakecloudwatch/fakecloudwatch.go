// Package fakecloudwatch is a local server speaking CloudWatch's protocol as the
// AWS SDK for Go v2 client speaks it (service/cloudwatch v1.76: Smithy RPC v2 CBOR,
// POST /service/GraniteServiceVersion20100801/operation/<Operation>, header
// Smithy-Protocol: rpc-v2-cbor, CBOR bodies, timestamps as tag 1 epoch seconds,
// errors as a CBOR map with __type and message), for tests with the real client
// (point it here with BaseEndpoint or AWS_ENDPOINT_URL_CLOUDWATCH). It implements
// GetMetricData for metrics given as daily points, answered per account (the access
// key's) and Region (the signature's scope), as CloudWatch keeps them.
package fakecloudwatch

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// Point is one datapoint.
type Point struct {
	Time  time.Time
	Value float64
}

// Server is the fake CloudWatch endpoint.
type Server struct {
	*httptest.Server
	mu      sync.Mutex
	keys    map[string]string  // access key ID -> account
	metrics map[string][]Point // key(account, region, namespace, name, dimensions)
	// Calls counts GetMetricData calls.
	Calls int
}

// New starts a server.
func New() *Server {
	s := &Server{keys: map[string]string{}, metrics: map[string][]Point{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// AddKey makes an access key ID the credentials of account.
func (s *Server) AddKey(id, account string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[id] = account
}

// Put stores the points of a metric of account in region; dims are name=value pairs.
func (s *Server) Put(account, region, namespace, name string, dims map[string]string, points ...Point) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key(account, region, namespace, name, dims)
	s.metrics[k] = append(s.metrics[k], points...)
}

func key(account, region, namespace, name string, dims map[string]string) string {
	var parts []string
	for n, v := range dims {
		parts = append(parts, n+"="+v)
	}
	sort.Strings(parts)
	return strings.Join([]string{account, region, namespace, name, strings.Join(parts, ",")}, "|")
}

var scopeRe = regexp.MustCompile(`Credential=([^/]+)/[0-9]{8}/([^/]+)/monitoring/aws4_request`)

func reply(w http.ResponseWriter, status int, v cbor.Value) {
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("Content-Type", "application/cbor")
	w.WriteHeader(status)
	w.Write(cbor.Encode(v))
}

func fail(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("X-Amzn-Query-Error", typ+";Sender")
	reply(w, status, cbor.Map{"__type": cbor.String("com.amazonaws.cloudwatch#" + typ), "message": cbor.String(msg)})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Smithy-Protocol") != "rpc-v2-cbor" || r.Method != http.MethodPost {
		fail(w, http.StatusBadRequest, "InvalidAction", "expected a Smithy RPC v2 CBOR request")
		return
	}
	m := scopeRe.FindStringSubmatch(r.Header.Get("Authorization"))
	s.mu.Lock()
	account := ""
	if m != nil {
		account = s.keys[m[1]]
	}
	s.mu.Unlock()
	if account == "" {
		fail(w, http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid.")
		return
	}
	region := m[2]
	op := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
	if !strings.HasPrefix(r.URL.Path, "/service/GraniteServiceVersion20100801/operation/") || op != "GetMetricData" {
		fail(w, http.StatusBadRequest, "InvalidAction", "not implemented: "+r.URL.Path)
		return
	}
	body, _ := io.ReadAll(r.Body)
	v, err := cbor.Decode(body)
	in, ok := v.(cbor.Map)
	if err != nil || !ok {
		fail(w, http.StatusBadRequest, "SerializationException", fmt.Sprintf("body is not a CBOR map: %v", err))
		return
	}
	start, err1 := cbor.AsTime(in["StartTime"])
	end, err2 := cbor.AsTime(in["EndTime"])
	queries, _ := in["MetricDataQueries"].(cbor.List)
	if err1 != nil || err2 != nil || len(queries) == 0 {
		fail(w, http.StatusBadRequest, "InvalidParameterValueException", "StartTime, EndTime and MetricDataQueries are required")
		return
	}
	descending := str(in["ScanBy"]) != "TimestampAscending"
	s.mu.Lock()
	s.Calls++
	var results cbor.List
	for _, qv := range queries {
		q, _ := qv.(cbor.Map)
		stat, _ := q["MetricStat"].(cbor.Map)
		metric, _ := stat["Metric"].(cbor.Map)
		dims := map[string]string{}
		if dl, ok := metric["Dimensions"].(cbor.List); ok {
			for _, dv := range dl {
				d, _ := dv.(cbor.Map)
				dims[str(d["Name"])] = str(d["Value"])
			}
		}
		points := s.metrics[key(account, region, str(metric["Namespace"]), str(metric["MetricName"]), dims)]
		var sel []Point
		for _, p := range points {
			if !p.Time.Before(start) && p.Time.Before(end) {
				sel = append(sel, p)
			}
		}
		sort.Slice(sel, func(i, j int) bool { return sel[i].Time.Before(sel[j].Time) != descending })
		var ts, vals cbor.List
		for _, p := range sel {
			ts = append(ts, &cbor.Tag{ID: 1, Value: cbor.Float64(float64(p.Time.UnixMilli()) / 1000)})
			vals = append(vals, cbor.Float64(p.Value))
		}
		res := cbor.Map{"Id": q["Id"], "StatusCode": cbor.String("Complete"), "Timestamps": ts, "Values": vals}
		if l, ok := q["Label"]; ok {
			res["Label"] = l
		}
		results = append(results, res)
	}
	s.mu.Unlock()
	reply(w, http.StatusOK, cbor.Map{"MetricDataResults": results, "Messages": cbor.List{}})
}

func str(v cbor.Value) string {
	if s, ok := v.(cbor.String); ok {
		return string(s)
	}
	return ""
}
