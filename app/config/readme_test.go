package config

import (
	"os"
	"strings"
	"testing"
)

// readmeBadFile is the file behind the README's sample of a rejected config ("A bad
// file stops the app ..."): a misspelt key and an invalid bucket name on one line, a
// name used twice, and two transfers into one bucket that disagree on createBucket.
const readmeBadFile = `transfers:
  - name: ok-one
    source: {account: "111111111111", region: us-east-1, bucket: acme-a}
    destination: {account: "222222222222", region: us-west-2, bucket: acme-b}
  - name: ok-one
    source: {account: "111111111111", region: us-east-1, bucket: acme-c}
    destination: {account: "222222222222", region: us-west-2, bucket: Acme-D, storageClas: GLACIER}
  - name: ok-three
    source: {account: "111111111111", region: us-east-1, bucket: acme-e}
    destination: {account: "222222222222", region: us-west-2, bucket: acme-b, createBucket: true}
`

// TestReadmeShowsTheParsersMessages keeps the README's sample of a rejected config
// identical to what the parser reports for readmeBadFile, so that a changed message
// (a new allowed key, a new wording) cannot leave the README stale.
func TestReadmeShowsTheParsersMessages(t *testing.T) {
	_, err := Parse([]byte(readmeBadFile), "transfers.yaml")
	if err == nil {
		t.Fatal("the README's bad file was accepted")
	}
	readme, rerr := os.ReadFile("../../README.md")
	if rerr != nil {
		t.Fatal(rerr)
	}
	if !strings.Contains(string(readme), "```\n"+err.Error()+"\n```") {
		t.Errorf("the README's sample of a rejected config is not what the parser reports; it should read:\n%s", err)
	}
}
