package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/s3transfer/cdk-datasync/app/operate/fakedatasync"
	"github.com/s3transfer/cdk-datasync/internal/s3fake"
)

// s3env adds a fake S3 with the photos transfer's buckets to the environment.
func (e *env) s3() (*s3fake.Server, func(bucket, key, body string)) {
	e.t.Helper()
	srv := s3fake.New(e.t)
	e.set("AWS_ENDPOINT_URL_S3", srv.URL)
	c := srv.Client("AKIDTEST")
	for _, b := range []string{"acme-photos-src", "acme-photos-dst"} {
		if err := srv.Bucket(context.Background(), c, b, false); err != nil {
			e.t.Fatal(err)
		}
	}
	return srv, func(bucket, key, body string) {
		e.t.Helper()
		if _, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
			Body: bytes.NewReader([]byte(body))}); err != nil {
			e.t.Fatal(err)
		}
	}
}

// slowSource puts n objects into the source bucket only, and makes every request
// take delay.
func (e *env) slowSource(n int, delay time.Duration) *s3fake.Server {
	srv, put := e.s3()
	for i := range n {
		put("acme-photos-src", fmt.Sprintf("k%03d", i), "v")
	}
	srv.Delay = delay
	return srv
}

func TestVerifyReportsGapsAndWritesCSV(t *testing.T) {
	// GIVEN photos ran, and its destination lacks one object and has one of its own
	e := newEnv(t)
	task := e.photos()
	srv, put := e.s3()
	put("acme-photos-src", "2024/a b+c.jpg", "one")
	put("acme-photos-src", "2024/ü.jpg", "two")
	put("acme-photos-dst", "2024/a b+c.jpg", "one")
	put("acme-photos-dst", "old.jpg", "extra")
	task.Run = []fakedatasync.Step{{Status: "SUCCESS", Elapsed: time.Minute}}
	e.srv.AddExecution(task, srv.Clock.Now().Add(time.Hour))
	out := t.TempDir()

	// WHEN verified with --out
	r := e.run("verify", "photos", "-c", e.config, "--out", out)

	// THEN it says what is missing, exits 1, and writes the CSV files
	if r.code != 1 {
		t.Fatalf("exit %d, want 1", r.code)
	}
	for _, want := range []string{"missing at the destination", "NOT CLEAN: 1 objects (3 B) missing or different", `"2024/ü.jpg"`, "last run exec-"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q", want)
		}
	}
	rows := readCSV(t, filepath.Join(out, "photos.missing.csv"))
	if len(rows) != 2 || rows[1][0] != "2024/ü.jpg" || rows[1][2] != "3" {
		t.Errorf("missing.csv: %q", rows)
	}
	if rows := readCSV(t, filepath.Join(out, "photos.extra.csv")); len(rows) != 2 || rows[1][6] != "old.jpg" {
		t.Errorf("extra.csv: %q", rows)
	}
	if _, err := os.Stat(filepath.Join(out, "photos.identical.csv")); err == nil {
		t.Error("identical objects were written to a file")
	}
}

func TestVerifyCleanJSON(t *testing.T) {
	e := newEnv(t)
	e.photos()
	_, put := e.s3()
	put("acme-photos-src", "x", "same")
	put("acme-photos-dst", "x", "same")
	put("acme-photos-dst", "y/", "")
	r := e.run("verify", "photos", "-c", e.config, "--json")
	if r.code != 0 {
		t.Fatalf("exit %d, want 0", r.code)
	}
	var doc struct {
		Transfers []struct {
			Transfer string                                    `json:"transfer"`
			Clean    bool                                      `json:"clean"`
			Classes  map[string]struct{ Objects, Bytes int64 } `json:"classes"`
			Folders  int64                                     `json:"destinationFolderObjects"`
			Warnings []string                                  `json:"warnings"`
		} `json:"transfers"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Transfers) != 1 || !doc.Transfers[0].Clean || doc.Transfers[0].Classes["identical"].Objects != 1 || doc.Transfers[0].Folders != 1 {
		t.Errorf("%+v", doc)
	}
}

func TestVerifyBadCommandLine(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"verify"}, "requires at least 1 arg"},
		{[]string{"verify", "photos", "--inventory", "s3://a/manifest.json"}, "want two manifests"},
		{[]string{"verify", "photos", "logs", "--inventory", "s3://a/b/manifest.json,s3://c/x.csv"}, `destination manifest "s3://c/x.csv"`},
		{[]string{"verify", "photos", "logs", "--inventory", "s3://a/b/manifest.json,s3://c/x.csv"}, "one transfer; 2 are named"},
		{[]string{"verify", "nosuch", "-c", e.config}, `no transfer named "nosuch"`},
		{[]string{"verify", "photos", "--partitions", "0"}, "--partitions 0: allowed 1 to 1000"},
	} {
		r := e.run(c.args...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", c.args, r.code, r.stderr, c.want)
		}
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// The progress display in a pseudo-terminal: redrawn in place while the listing
// goes (a slow server), then the summary.
func TestVerifyProgressInTerminal(t *testing.T) {
	e := newEnv(t)
	e.photos()
	srv, put := e.s3()
	for i := range 300 {
		k := "k/" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + time.Duration(i).String()
		put("acme-photos-src", k, "v")
		put("acme-photos-dst", k, "v")
	}
	srv.Delay = 40 * time.Millisecond
	term := startTerminal(t, 120, 20, "verify", "photos", "-c", e.config, "--partitions", "1", "--page-size", "20")
	// A count short of the 300 objects: the line shows the listing as it goes.
	screen := term.waitFor(regexp.MustCompile(`verify photos: listed source ([0-9]{1,2}|[12][0-9]{2}) · destination [0-9,]+ objects · [0-9,]+ objects/s`))
	t.Logf("while listing:\n%s", screen)
	screen = term.waitFor(regexp.MustCompile(`photos: CLEAN`))
	t.Logf("at the end:\n%s", screen)
	if code := term.exit(); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if !strings.Contains(screen, "listed source 300 · destination 300 objects") {
		t.Errorf("the last progress line does not show the totals:\n%s", screen)
	}
	if strings.Count(screen, "verify photos: listed") != 1 {
		t.Errorf("progress was not redrawn in place:\n%s", screen)
	}
}

// --inventory reads both sides from S3 Inventory reports instead of listing: the
// buckets themselves hold nothing here, the reports say what is there.
func TestVerifyFromInventory(t *testing.T) {
	e := newEnv(t)
	e.photos()
	srv, _ := e.s3()
	c := srv.Client("AKIDTEST")
	if err := srv.Bucket(context.Background(), c, "reports", false); err != nil {
		t.Fatal(err)
	}
	src := srv.PutInventory(t, c, "acme-photos-src", "Bucket, Key, Size, LastModifiedDate, ETag, StorageClass", [][]string{
		{"acme-photos-src", "b.jpg", "2", "2026-12-01T00:00:00.000Z", "e2", "STANDARD"},
		{"acme-photos-src", "a.jpg", "1", "2026-12-01T00:00:00.000Z", "e1", "STANDARD"},
	}, 1)
	dst := srv.PutInventory(t, c, "acme-photos-dst", "Bucket, Key, Size, LastModifiedDate, ETag, StorageClass", [][]string{
		{"acme-photos-dst", "a.jpg", "1", "2026-12-02T00:00:00.000Z", "e1", "STANDARD"},
	}, 1)
	r := e.run("verify", "photos", "-c", e.config, "--inventory", src+","+dst)
	if r.code != 1 || !strings.Contains(r.stdout, `NOT CLEAN: 1 objects (2 B) missing or different, e.g. "b.jpg"`) {
		t.Errorf("exit %d, want 1 and b.jpg missing", r.code)
	}
	if !strings.Contains(r.stdout, "5 requests") {
		t.Errorf("want 5 reads (2 manifests, 3 data files)")
	}
}

// Without a terminal, progress is plain lines on stderr; data stays on stdout.
func TestVerifyPlainProgressLines(t *testing.T) {
	e := newEnv(t)
	e.photos()
	e.slowSource(40, 30*time.Millisecond)
	r := e.run("verify", "photos", "-c", e.config, "--page-size", "5", "--partitions", "1", "--progress-every", "50ms")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 (nothing at the destination)", r.code)
	}
	lines := regexp.MustCompile(`(?m)^\d\d:\d\d:\d\dZ verify photos: listed source \d+ · destination 0 objects · [\d,]+ objects/s · \d+s$`).FindAllString(r.stderr, -1)
	if len(lines) < 2 {
		t.Errorf("%d progress lines on stderr, want several:\n%s", len(lines), r.stderr)
	}
	if strings.Contains(r.stdout, "listed source") || strings.Contains(r.stderr, "\x1b[") {
		t.Error("progress on stdout, or terminal control sequences in a pipe")
	}
}

// Ctrl-C stops a verify cleanly: no result, exit 130, nothing changed.
func TestVerifyInterrupted(t *testing.T) {
	e := newEnv(t)
	e.photos()
	srv := e.slowSource(20, 100*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	// Ctrl-C once the listing has begun (the setup's requests are counted too).
	setup := srv.Requests.Load()
	canceled := make(chan time.Time, 1)
	go func() {
		for srv.Requests.Load() <= setup {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(150 * time.Millisecond)
		canceled <- time.Now()
		cancel()
	}()
	defer cancel()
	r := e.runCtx(ctx, "verify", "photos", "-c", e.config, "--page-size", "2", "--partitions", "1")
	if r.code != 130 || !strings.Contains(r.stderr, "verify photos: stopped by Ctrl-C; no result (nothing was changed)") {
		t.Errorf("exit %d, stderr %q; want 130 and the message", r.code, r.stderr)
	}
	if took := time.Since(<-canceled); took > 2*time.Second {
		t.Errorf("took %s to stop after Ctrl-C", took)
	}
	if r.stdout != "" {
		t.Errorf("a result was printed: %q", r.stdout)
	}
}

// The summary of every class but two (not compared: see package verify's tests;
// excluded: photos has no filters), as docs/cutover.md shows it.
func TestVerifySummaryOfEveryClass(t *testing.T) {
	e := newEnv(t)
	task := e.photos()
	srv, put := e.s3()
	c := srv.Client("AKIDTEST")
	for _, k := range []string{"2024/01/a.jpg", "2024/01/b b+c.jpg", "2024/02/ü.jpg"} {
		put("acme-photos-src", k, "same bytes")
		put("acme-photos-dst", k, "same bytes")
	}
	put("acme-photos-src", "2024/03/missing.jpg", "not copied")
	put("acme-photos-src", "2024/03/size.jpg", "longer at the source")
	put("acme-photos-dst", "2024/03/size.jpg", "shorter")
	put("acme-photos-src", "2024/03/content.jpg", "version 2")
	put("acme-photos-dst", "2024/03/content.jpg", "version 1")
	if _, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("acme-photos-src"), Key: aws.String("2019/cold.tar"),
		Body: strings.NewReader("frozen"), StorageClass: "DEEP_ARCHIVE"}); err != nil {
		t.Fatal(err)
	}
	put("acme-photos-dst", "2023/removed-at-source.jpg", "extra")
	put("acme-photos-src", "2024//double-slash.jpg", "no DataSync")
	put("acme-photos-src", "2024/", "")
	put("acme-photos-dst", "2024/", "")
	srv.Clock.Advance(time.Minute)
	task.Run = []fakedatasync.Step{{Status: "SUCCESS", Elapsed: time.Minute}}
	e.srv.AddExecution(task, srv.Clock.Now())
	srv.Clock.Advance(time.Minute)
	put("acme-photos-src", "2024/04/new.jpg", "written after the run started")

	r := e.run("verify", "photos", "-c", e.config)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1", r.code)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`identical +3 +30 B`),
		regexp.MustCompile(`missing at the destination +1 +10 B`),
		regexp.MustCompile(`size differs +1 +20 B`),
		regexp.MustCompile(`content differs +1 +9 B`),
		regexp.MustCompile(`in flight \(changed after the last run started\) +1 +29 B`),
		regexp.MustCompile(`archived at the source \(needs a restore\) +1 +6 B`),
		regexp.MustCompile(`key DataSync cannot transfer \(not a failure\) +1 +11 B`),
		regexp.MustCompile(`1 objects \(11 B\) have keys DataSync cannot transfer `),
		regexp.MustCompile(`copy them another way .*photos\.unsupported-by-datasync\.csv`),
		regexp.MustCompile(`extra at the destination \(not a failure\) +1 +5 B`),
		regexp.MustCompile(`folder objects: source 1, destination 1`),
		regexp.MustCompile(`NOT CLEAN: 5 objects \(74 B\) missing or different`),
	} {
		if !want.MatchString(r.stdout) {
			t.Errorf("summary lacks %s", want)
		}
	}
}

// Ctrl-C typed in a terminal while verify lists: it stops, says so, exits 130.
func TestVerifyInTerminalCtrlC(t *testing.T) {
	e := newEnv(t)
	e.photos()
	e.slowSource(200, 100*time.Millisecond)
	term := startTerminal(t, 120, 10, "verify", "photos", "-c", e.config, "--page-size", "5", "--partitions", "1")
	term.waitFor(regexp.MustCompile(`verify photos: listed source [1-9]`))
	if _, err := term.pty.Write([]byte{3}); err != nil {
		t.Fatal(err)
	}
	if code := term.exit(); code != 130 {
		t.Errorf("exit %d, want 130", code)
	}
	if screen := term.screen(); !strings.Contains(screen, "verify photos: stopped by Ctrl-C; no result (nothing was changed)") {
		t.Errorf("the screen does not say it stopped:\n%s", screen)
	}
}
