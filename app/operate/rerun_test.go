package operate

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/s3transfer/cdk-datasync/app/operate/fakedatasync"
	"github.com/s3transfer/cdk-datasync/constructs/spec"
	"github.com/s3transfer/cdk-datasync/internal/s3fake"
)

// rerunEnv is a fake DataSync with the task of transfer photos (source account
// 111..., destination 222..., us-west-2) and a fake S3 with its report bucket, and a
// session whose profiles are per account.
type rerunEnv struct {
	ds   *fakedatasync.Server
	s3   *s3fake.Server
	task *fakedatasync.Task
	s    *Session
	t    spec.Transfer
}

func newRerunEnv(t *testing.T, report *spec.Report) *rerunEnv {
	t.Helper()
	ds, s3 := fakedatasync.New(), s3WithAccounts(t)
	t.Cleanup(ds.Close)
	for account, key := range accounts {
		ds.AddKey(key, account)
	}
	profileEnv(t, map[string]string{"AWS_ENDPOINT_URL_S3": s3.URL, "AWS_ENDPOINT_URL_DATASYNC": ds.URL})
	tr := spec.Transfer{Name: "photos",
		Source:      spec.Source{Account: "111111111111", Region: "us-east-1", Bucket: "acme-photos-src", Prefix: "photos"},
		Destination: spec.Destination{Account: "222222222222", Region: "us-west-2", Bucket: "acme-photos-dst"}}
	tr.Task.Report = report
	task := ds.AddTask(&fakedatasync.Task{Account: "111111111111", Region: "us-west-2", Name: "photos", Mode: "ENHANCED"})
	s, err := Open(context.Background(), Options{ProfileTemplate: "acct-{account}"})
	if err != nil {
		t.Fatal(err)
	}
	return &rerunEnv{ds: ds, s3: s3, task: task, s: s, t: tr}
}

func (e *rerunEnv) rerun(t *testing.T, keys ...string) (Rerun, error) {
	t.Helper()
	ctx := context.Background()
	task, err := e.s.FindTask(ctx, e.t)
	if err != nil {
		t.Fatal(err)
	}
	g, err := NewGaps(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	for _, k := range keys {
		if err := g.Add(k, 10); err != nil {
			t.Fatal(err)
		}
	}
	return e.s.StartRerun(ctx, task, g, time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC))
}

func TestRerunByIncludesOfExactPaths(t *testing.T) {
	// GIVEN a few missing keys, with spaces, unicode and +
	e := newRerunEnv(t, nil)

	// WHEN
	r, err := e.rerun(t, "2024/a b.jpg", "2024/résumé+1.pdf", "x")

	// THEN one execution, limited by an Includes override of their exact paths
	if err != nil {
		t.Fatal(err)
	}
	started := e.ds.Started(e.task)
	if len(started) != 1 || started[0].Arn != r.ExecutionArn || r.Method != "includes" {
		t.Fatalf("started %+v, rerun %+v", started, r)
	}
	if got, want := started[0].Includes, "/2024/a b.jpg|/2024/résumé+1.pdf|/x"; got != want || started[0].Manifest != nil {
		t.Errorf("includes %q, manifest %v; want %q and no manifest", got, started[0].Manifest, want)
	}
}

func TestRerunByManifestWhenKeysCannotBePatterns(t *testing.T) {
	// GIVEN a key with | (a filter's separator) and one with a comma and a line break
	e := newRerunEnv(t, &spec.Report{Bucket: "acme-reports", Prefix: "datasync"})
	keys := []string{"a|b.txt", "c,d\n\"e\".txt", "plain.txt"}

	// WHEN
	r, err := e.rerun(t, keys...)

	// THEN the keys go to a CSV manifest under the report prefix's manifests/, uploaded
	// with the source account's key, and the execution reads it with the bucket-access role
	if err != nil {
		t.Fatal(err)
	}
	const key = "datasync/manifests/photos-20261207T100000Z.csv"
	if r.Method != "manifest" || r.Manifest != "s3://acme-reports/"+key || !strings.Contains(r.Why, `key "a|b.txt" holds "|"`) {
		t.Errorf("rerun %+v", r)
	}
	obj, err := e.s3.Backend.GetObject("acme-reports", key, nil)
	if err != nil {
		t.Fatalf("no manifest at %s: %v", key, err)
	}
	body, _ := io.ReadAll(obj.Contents)
	rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil {
		t.Fatalf("manifest is not CSV: %v\n%s", err, body)
	}
	var got []string
	for _, row := range rows {
		if len(row) != 1 {
			t.Errorf("row %q has %d fields, want the key alone", row, len(row))
		}
		got = append(got, row[0])
	}
	if !slices.Equal(got, keys) {
		t.Errorf("manifest keys %q, want %q", got, keys)
	}
	// uploaded with the source account's key: the server refuses any other
	if d := e.s3.Denied(); len(d) != 0 {
		t.Errorf("refused: %v", d)
	}
	started := e.ds.Started(e.task)
	if len(started) != 1 || started[0].Includes != "" || started[0].Manifest == nil {
		t.Fatalf("started %+v", started)
	}
	m := started[0].Manifest
	want := fakedatasync.Manifest{Action: "TRANSFER", Format: "CSV", ObjectPath: key, BucketArn: "arn:aws:s3:::acme-reports",
		BucketAccessRoleArn: "arn:aws:iam::111111111111:role/datasync-photos-bucket-access"}
	if *m != want {
		t.Errorf("manifest config %+v, want %+v", *m, want)
	}
}

func TestRerunByManifestWhenIncludesWouldBeTooLong(t *testing.T) {
	// GIVEN keys whose paths joined by | pass DataSync's 102,400 characters by one
	e := newRerunEnv(t, &spec.Report{Bucket: "acme-reports"})
	var fit []string
	// 1,024 keys of 99 characters: "/" + 99 = 100 each, + 1,023 separators = 103,423
	for i := range 1024 {
		fit = append(fit, fmt.Sprintf("%04d-%s", i, strings.Repeat("k", 94)))
	}
	// keep as many as fit: n*100 + n-1 <= 102,400 -> n = 1,013 (102,312)
	g, _ := NewGaps(t.TempDir())
	defer g.Close()
	for _, k := range fit[:1013] {
		_ = g.Add(k, 1)
	}
	if g.Includes() == "" || len(g.Includes()) != 102312 {
		t.Fatalf("1,013 keys: includes of %d characters (%s), want 102,312", len(g.Includes()), g.NoFilter)
	}
	// one more (101 characters with its separator) would make 102,413
	_ = g.Add(fit[1013], 1)
	if g.Includes() != "" || !strings.Contains(g.NoFilter, "longer than DataSync's 102400 characters") {
		t.Fatalf("1,014 keys still fit: %d", len(g.Includes()))
	}

	// WHEN all 1,024 are re-run
	r, err := e.rerun(t, fit...)

	// THEN by manifest, at the bucket's manifests/ folder (no report prefix)
	if err != nil || r.Method != "manifest" || !strings.HasPrefix(r.Manifest, "s3://acme-reports/manifests/photos-") {
		t.Errorf("rerun %+v, %v", r, err)
	}
}

func TestRerunWithoutManifestLocationSaysWhatToConfigure(t *testing.T) {
	// GIVEN no task report, and a key that cannot be a pattern
	e := newRerunEnv(t, nil)

	_, err := e.rerun(t, "a*b")

	var none *NoManifestLocationError
	if !errors.As(err, &none) {
		t.Fatalf("err %v, want a NoManifestLocationError", err)
	}
	for _, want := range []string{`key "a*b" holds "*"`, "configure a task report (task.report: {bucket: BUCKET, prefix: PREFIX}", "deploy stack photos-source", "PREFIX/manifests/"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	if len(e.ds.Started(e.task)) != 0 {
		t.Errorf("an execution started")
	}
}

func TestGapsFilterOnlyForKeysThatArePlainPatterns(t *testing.T) {
	for _, tc := range []struct {
		key, includes, why string
	}{
		{"a b/ü+(1).txt", "/a b/ü+(1).txt", ""},
		{"a*b", "", `holds "*"`},
		{"a|b", "", `holds "|"`},
		{`a\b`, "", `holds "\\"`},
		{"a\x00b", "", "NUL"},
	} {
		g, err := NewGaps(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		_ = g.Add(tc.key, 1)
		if g.Includes() != tc.includes || !strings.Contains(g.NoFilter, tc.why) {
			t.Errorf("%q: includes %q, why %q; want %q, %q", tc.key, g.Includes(), g.NoFilter, tc.includes, tc.why)
		}
		g.Close()
	}
}
