// Package example holds the example config file, embedded so that every program of
// this module (the CDK app in app/, the transfers command in app/transfers) uses it
// when no config file is named, without a copy of the file.
package example

import _ "embed"

// YAML is the text of example.yaml beside this file.
//
//go:embed example.yaml
var YAML []byte

// Name names the example in messages.
const Name = "embedded example config (app/example/example.yaml)"
