# The two commands of the README: `make synth` and `make test`. Both install what is
# missing first: the npm packages (the aws-cdk CLI and a supported Node.js, pinned in
# package-lock.json) and the Go modules (pinned in go.sum).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
# The pinned Node.js runs `npx cdk` and the app's jsii runtime; Go from its usual home.
export PATH := $(CURDIR)/node_modules/.bin:$(PATH):/usr/local/go/bin
CONFIG ?=
CDK_CONFIG := $(if $(CONFIG),-c config=$(CONFIG),)
# Where `make synth` writes the cloud assembly.
OUT ?= cdk.out
# AWS CLI profile names for `make plan`, {account} standing for the account ID.
PROFILE_TEMPLATE ?=
# `cdk synth --quiet` still ends with "Supply a stack id (...) to display its
# template." when there are several stacks; the app prints which stacks it made.
QUIET_CLI := 2>&1 | { grep -v '^Supply a stack id' || true; }

.PHONY: synth test deps check-tools build-note bench bench-verify snapshots plan plan-destroy prices clean

synth: deps build-note
	npx cdk synth --quiet $(CDK_CONFIG) --output $(OUT) $(QUIET_CLI)

test: deps build-note
	go vet ./...
	go test ./...
	@echo "--- one synth of the example with the CloudFormation validation plugin on"
	CDK_VALIDATION=true npx cdk synth --quiet --output cdk.out $(QUIET_CLI)

# The first build compiles the AWS CDK's Go bindings, for minutes without output: say so.
build-note:
	@if [ "$$(go list -f '{{.Stale}}' github.com/aws/aws-cdk-go/awscdk/v2 2>/dev/null)" != false ]; then \
		echo "Compiling the app and the AWS CDK's Go bindings: the first build takes minutes (later builds come from Go's cache and take seconds) ..."; fi

deps: check-tools node_modules/.installed go.sum
	@go mod download

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

check-tools:
	@command -v go >/dev/null || { echo "Go is not installed: get Go 1.26 or newer from https://go.dev/dl/"; exit 1; }
	@command -v npm >/dev/null || { echo "npm is not installed: install Node.js 20 or newer (npm installs the pinned Node.js 24)"; exit 1; }

# Whole-process seconds, peak memory and provider-Lambda builds of `npx cdk synth` for
# 1, 50 and 200 transfers with the CloudFormation validation plugin on and off, and of
# a repeated synth into the same cdk.out. BENCH_FLAGS passes flags, e.g.
# BENCH_FLAGS='-runs 5 -transfers 1,50', or BENCH_FLAGS='-baseline DIR' to measure another
# checkout too, its runs alternating with this one's so that both see the same load.
BENCH_FLAGS ?=
bench: deps
	go run ./tools/bench $(BENCH_FLAGS)

# Seconds, requests, objects per second and peak RSS of `transfers verify` against a
# local S3 server serving a synthetic key space (nothing stored), beside a plain
# sequential ListObjectsV2 walk of both sides with the same delay and with none, and
# `rclone check` of the same buckets when rclone is installed (up to 100,000 objects).
# BENCH_VERIFY_FLAGS passes flags, e.g. BENCH_VERIFY_FLAGS='-objects 100000 -layouts flat'.
BENCH_VERIFY_FLAGS ?=
bench-verify: check-tools
	go run ./tools/benchverify $(BENCH_VERIFY_FLAGS)

# Prints the steps and commands that deploy a config, one account and Region per
# command (make plan CONFIG=transfers.yaml; without CONFIG: the example); with
# PROFILE_TEMPLATE='acct-{account}' they name your AWS CLI profiles. plan-destroy
# prints the commands that destroy the stacks.
PLAN_FLAGS = $(if $(PROFILE_TEMPLATE),-profile-template '$(PROFILE_TEMPLATE)',)
plan: check-tools
	@go run ./tools/plan $(PLAN_FLAGS) $(CONFIG)

plan-destroy: check-tools
	@go run ./tools/plan -destroy $(PLAN_FLAGS) $(CONFIG)

# Rebuilds the estimate's price table from AWS's public price list (the Price List Bulk
# API, no credentials) for every Region of the Region table. Needs network access to
# pricing.us-east-1.amazonaws.com; without it no Region is priced, the command exits 1
# and app/estimate/prices.json stays as it was. PRICES_FLAGS passes flags, e.g.
# PRICES_FLAGS='--price-list-url URL' for a mirror. docs/estimating-cost.md, "Prices per Region".
PRICES_FLAGS ?=
prices: check-tools
	go run ./app/transfers prices --all -o app/estimate/prices.json $(PRICES_FLAGS)

# Regenerates the golden templates under test/testdata after an intended change.
snapshots: deps
	go test ./test -run Snapshot -update

clean:
	rm -rf cdk.out
