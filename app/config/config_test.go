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
			[]string{`line 6: transfers[0].destination.account: 022222222222 is not quoted`, `write "022222222222"`}},
		{"wrong type says where", strings.Replace(good, `includes: ["/photos*"]`, "bytesPerSecond: fast", 1), []string{"cannot unmarshal string", "[10:23]"}},
		{"validation problems with path, value and line", strings.Replace(good, "bucket: acme-media-dst", "bucket: Acme_Dst", 1),
			[]string{`line 8: transfers[0].destination.bucket: "Acme_Dst" is not a valid S3 bucket name`}},
		{"no transfers", "transfers: []\n", []string{"transfers: no transfers"}},
		{"removeDeletedPrincipals on a created bucket", strings.Replace(good, "bucket: acme-media-dst", "bucket: acme-media-dst\n      createBucket: true\n      removeDeletedPrincipals: true", 1),
			[]string{`line 10: transfers[0].destination.removeDeletedPrincipals: true applies only to an existing bucket`}},
		{"duplicate names", good + strings.TrimPrefix(strings.SplitN(good, "transfers:", 2)[1], "\n"),
			[]string{`transfers[1].name: "media-archive" is already the name of transfers[0]`}},
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
