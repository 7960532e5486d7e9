package config

import (
	"os"
	"strings"
	"testing"
)

const good = `
transfers:
  - name: media-archive
    source: {account: "111111111111", region: us-east-1, bucket: acme-media-src, prefix: photos}
    destination:
      account: "222222222222"
      region: us-west-2
      bucket: acme-media-dst
    task:
      includes: ["/photos*"]
      excludes: ["*.tmp", "*/.cache"]
      report: {bucket: acme-reports, prefix: datasync, level: ERRORS_ONLY}
    notifications:
      email: data-ops@example.com
`

func TestParseGoodConfig(t *testing.T) {
	cfg, err := Parse([]byte(good), "good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tr := cfg.Transfers[0]
	if tr.Name != "media-archive" || tr.Source.Prefix != "photos" || tr.Destination.Region != "us-west-2" ||
		len(tr.Task.Excludes) != 2 || tr.Task.Report.Level != "ERRORS_ONLY" || tr.Notifications.Email != "data-ops@example.com" || cfg.Pipeline != nil {
		t.Errorf("parsed = %+v", cfg)
	}
}

func TestRemoveDeletedPrincipalsKey(t *testing.T) {
	cfg, err := Parse([]byte(strings.Replace(good, "bucket: acme-media-dst", "bucket: acme-media-dst\n      removeDeletedPrincipals: true", 1)), "good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Transfers[0].Destination.RemoveDeletedPrincipals {
		t.Error("destination.removeDeletedPrincipals: true was not read")
	}
	if cfg, _ := Parse([]byte(good), "good.yaml"); cfg.Transfers[0].Destination.RemoveDeletedPrincipals {
		t.Error("removeDeletedPrincipals is on by default")
	}
}

func TestEmbeddedExampleIsValid(t *testing.T) {
	data, err := os.ReadFile("../example/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(data, "example.yaml"); err != nil {
		t.Fatal(err)
	}
}

func TestBadConfigs(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string // fragments; all must appear
	}{
		{"syntax error says where", "transfers:\n  - name: [a, b\n", []string{"YAML syntax error", "[2:"}},
		{"unknown key with line", strings.Replace(good, "prefix: photos}", "prefix: photos, bukcet: x}", 1),
			[]string{`line 4: transfers[0].source.bukcet: unknown key "bukcet" (allowed: account, bucket, kmsKeyArn, prefix, region)`}},
		{"unknown top-level key", "transfer: []\n", []string{`line 1: transfer: unknown key "transfer" (allowed: pipeline, transfers)`}},
		{"unknown task key", strings.Replace(good, "includes:", "include:", 1), []string{`line 10: transfers[0].task.include: unknown key "include"`}},
		{"unquoted account", strings.Replace(good, `account: "222222222222"`, "account: 022222222222", 1),
			[]string{`line 6: transfers[0].destination.account: 022222222222 is not quoted`, `write account: "022222222222"`}},
		{"wrong type says where", strings.Replace(good, `includes: ["/photos*"]`, "bytesPerSecond: fast", 1),
			[]string{`line 10: transfers[0].task.bytesPerSecond: "fast" is not a whole number: write bytesPerSecond: <digits>`}},
		{"validation problems with path, value and line", strings.Replace(good, "bucket: acme-media-dst", "bucket: Acme_Dst", 1),
			[]string{`line 8: transfers[0].destination.bucket: "Acme_Dst" is not a valid S3 bucket name`}},
		{"no transfers", "transfers: []\n", []string{"transfers: no transfers"}},
		{"removeDeletedPrincipals on a created bucket", strings.Replace(good, "bucket: acme-media-dst", "bucket: acme-media-dst\n      createBucket: true\n      removeDeletedPrincipals: true", 1),
			[]string{`line 10: transfers[0].destination.removeDeletedPrincipals: true applies only to an existing bucket`}},
		{"duplicate names", good + strings.TrimPrefix(strings.SplitN(good, "transfers:", 2)[1], "\n"),
			[]string{`transfers[1] ("media-archive").name: "media-archive" is already the name of transfers[0] ("media-archive")`}},
		{"pipeline problems", "pipeline: {account: \"1\", region: mars-1, connectionArn: x, repository: norepo, branch: \"\"}\n" + good,
			[]string{`pipeline.account: "1"`, `pipeline.region: "mars-1"`, `pipeline.connectionArn: "x"`, `pipeline.repository: "norepo"`, `pipeline.branch: ""`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), "bad.yaml")
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("want %q in:\n%v", w, err)
				}
			}
		})
	}
}

func TestEveryProblemOfTheFileAtOnce(t *testing.T) {
	bad := `
transfers:
  - name: Bad_Name
    source: {account: "123", region: us-east-1, bucket: acme-a}
    destination: {account: "222222222222", region: us-west-2, bucket: acme-b, colour: blue}
  - name: second
    source: {account: "111111111111", region: nowhere-1, bucket: acme-c}
    destination: {account: "222222222222", region: us-west-2, bucket: acme-d}
    task: {mode: TURBO, schedule: "rate(5 minutes)"}
`
	_, err := Parse([]byte(bad), "bad.yaml")
	e, ok := err.(*Error)
	if !ok {
		t.Fatalf("got %T %v", err, err)
	}
	// The unknown key is reported first; validation then still runs on what decoded.
	want := []string{"transfers[0].destination.colour", "transfers[0].name", "transfers[0].source.account",
		"transfers[1].source.region", "transfers[1].task.mode", "transfers[1].task.schedule"}
	joined := strings.Join(e.Problems, "\n")
	for _, w := range want {
		if !strings.Contains(joined, w) {
			t.Errorf("missing %s in:\n%s", w, joined)
		}
	}
}

// Quoted keys are compared by their value: a JSON config file (JSON is YAML) and
// keys quoted by hand or by a script work like plain ones.
func TestQuotedKeysAndJSON(t *testing.T) {
	cfg, err := Load("testdata/transfers.json")
	if err != nil {
		t.Fatal(err)
	}
	tr := cfg.Transfers[0]
	if tr.Name != "media-archive" || tr.Source.Account != "011111111111" || !tr.Destination.CreateBucket ||
		tr.Task.Includes[0] != "/photos*" || tr.Notifications.Email != "data-ops@example.com" {
		t.Errorf("parsed = %+v", tr)
	}
	quoted := strings.NewReplacer("- name:", `- "name":`, "    destination:", `    'destination':`, "report:", `"report":`).Replace(good)
	cfg, err = Parse([]byte(quoted), "quoted.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if tr := cfg.Transfers[0]; tr.Name != "media-archive" || tr.Destination.Bucket != "acme-media-dst" || tr.Task.Report == nil {
		t.Errorf("parsed = %+v", tr)
	}
	// An unknown quoted key is named by its value.
	_, err = Parse([]byte(strings.Replace(good, "- name:", `- "nmae":`, 1)), "bad.yaml")
	if err == nil || !strings.Contains(err.Error(), `line 3: transfers[0].nmae: unknown key "nmae" (allowed: `) {
		t.Errorf("err = %v", err)
	}
}

// Each message of issue 17 in the wording the user reads: key path, value and what
// to write, each problem once.
func TestMessagesForValuesOfTheWrongType(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string // whole lines of the error (after "bad.yaml: N problem(s):")
	}{
		{"bool as yes", strings.Replace(good, "bucket: acme-media-dst", "bucket: acme-media-dst\n      createBucket: yes", 1),
			[]string{`line 9: transfers[0].destination.createBucket: "yes" is not true or false: write createBucket: true or createBucket: false`}},
		{"size with a unit", strings.Replace(good, `includes: ["/photos*"]`, "bytesPerSecond: 100MB", 1),
			[]string{`line 10: transfers[0].task.bytesPerSecond: "100MB" is not a whole number: write it in bytes per second, digits only: bytesPerSecond: 100000000 (-1 for no limit)`}},
		{"binary size with a unit", strings.Replace(good, `includes: ["/photos*"]`, "bytesPerSecond: 2 MiB/s", 1),
			[]string{`line 10: transfers[0].task.bytesPerSecond: "2 MiB/s" is not a whole number: write it in bytes per second, digits only: bytesPerSecond: 2097152 (-1 for no limit)`}},
		{"a list given as one value, reported once", strings.Replace(good, `includes: ["/photos*"]`, "includes: /photos*", 1),
			[]string{`line 10: transfers[0].task.includes: "/photos*" is a single value, but includes is a list: write includes: ["/photos*"]`}},
		{"a mapping given as a value", strings.Replace(good, "      email: data-ops@example.com", "      email: {to: data-ops@example.com}", 1),
			[]string{`line 14: transfers[0].notifications.email: expected a single value, got a mapping: write email: <value>`}},
		{"a block given as a value", strings.Replace(good, "    notifications:\n      email: data-ops@example.com", "    notifications: data-ops@example.com", 1),
			[]string{`line 13: transfers[0].notifications: expected a mapping of keys (email), got "data-ops@example.com": write the keys indented below notifications:`}},
		{"missing source block, no quoting advice",
			strings.Replace(good, `    source: {account: "111111111111", region: us-east-1, bucket: acme-media-src, prefix: photos}`+"\n", "", 1),
			[]string{`line 3: transfers[0].source: is missing: every transfer needs a source with account, region and bucket`}},
		{"unquoted leading zero: the value as written, once",
			strings.Replace(good, `account: "222222222222"`, "account: 022222222222", 1),
			[]string{`line 6: transfers[0].destination.account: 022222222222 is not quoted: YAML reads unquoted digits as a number (a leading 0 even as octal); write account: "022222222222"`}},
		{"a list item that is not a transfer", "transfers:\n  - just-a-string\n",
			[]string{`line 2: transfers[0]: expected a mapping of keys (destination, monitoring, name, notifications, source, task), got "just-a-string"`}},
		{"transfers not a list", "transfers: {name: a}\n",
			[]string{`line 1: transfers: expected a list, got a mapping: write transfers: [<item>, <item>]`}},
		{"other problems of the transfer still reported", strings.Replace(strings.Replace(good, "bucket: acme-media-dst", "bucket: Acme_Dst\n      createBucket: yes", 1), `account: "222222222222"`, "account: 022222222222", 1),
			[]string{
				`line 6: transfers[0].destination.account: 022222222222 is not quoted: YAML reads unquoted digits as a number (a leading 0 even as octal); write account: "022222222222"`,
				`line 9: transfers[0].destination.createBucket: "yes" is not true or false: write createBucket: true or createBucket: false`,
				`line 8: transfers[0].destination.bucket: "Acme_Dst" is not a valid S3 bucket name: use 3-63 characters, lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit`,
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.yaml), "bad.yaml")
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("got %T %v", err, err)
			}
			if strings.Join(e.Problems, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(e.Problems, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// An indentation error shows the lines before it, whole, and a caret under the
// column of the error in the right line.
func TestIndentationErrorSnippet(t *testing.T) {
	bad := strings.Replace(good, "      region: us-west-2", "     region: us-west-2", 1)
	_, err := Parse([]byte(bad), "bad.yaml")
	want := `bad.yaml: 1 problem(s):
  line 7: YAML syntax error [7:6]: value is not allowed in this context (check the indentation: line 7 starts in column 6, line 6 in column 7; keys of one mapping start in the same column)
    4 |     source: {account: "111111111111", region: us-east-1, bucket: acme-media-src, prefix: photos}
    5 |     destination:
    6 |       account: "222222222222"
  > 7 |      region: us-west-2
             ^
    8 |       bucket: acme-media-dst`
	if err == nil || err.Error() != want {
		t.Errorf("got:\n%v\nwant:\n%s", err, want)
	}
}

// A conflict between two transfers names both by index and name.
func TestConflictNamesBothTransfers(t *testing.T) {
	two := `
transfers:
  - name: owner-a
    source: {account: "111111111111", region: us-east-1, bucket: acme-a}
    destination: {account: "222222222222", region: us-east-1, bucket: shared-dst, createBucket: true}
  - name: b
    source: {account: "333333333333", region: us-east-1, bucket: acme-b}
    destination: {account: "222222222222", region: us-east-1, bucket: shared-dst, prefix: b}
`
	_, err := Parse([]byte(two), "bad.yaml")
	want := `line 8: transfers[1] ("b").destination.createBucket: false disagrees with transfers[0] ("owner-a"), which gives true for the same bucket "shared-dst"`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("want %q in:\n%v", want, err)
	}
}

// FuzzParse: any document is either accepted or rejected with problems, never a
// panic (walk rewrites values it reports).
func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte(strings.Replace(good, `includes: ["/photos*"]`, "includes: /photos*\n      bytesPerSecond: 1GB", 1)))
	f.Add([]byte(`{"transfers": [{"name": "a", "source": 1, "destination": [], "task": {"report": "x"}}]}`))
	f.Add([]byte("transfers:\n  - &a {name: x}\n  - *a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, "fuzz.yaml")
		if (cfg == nil) == (err == nil) {
			t.Fatalf("cfg %v, err %v", cfg, err)
		}
		if e, ok := err.(*Error); ok && len(e.Problems) == 0 {
			t.Fatal("an error without problems")
		}
	})
}
