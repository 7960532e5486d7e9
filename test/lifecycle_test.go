package test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/s3transfer/cdk-datasync/constructs/provider/resource"
	"github.com/s3transfer/cdk-datasync/constructs/spec"
	"github.com/s3transfer/cdk-datasync/constructs/transfer"
)

// A config option of one transfer and the values it can take; each value is a
// change to a transfer (applied in option order: Regions before keys of that Region).
type option struct {
	name   string
	values []func(*spec.Transfer)
}

const (
	keyUSE1 = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	keyEUW1 = "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	keyUSW2 = "arn:aws:kms:us-west-2:222222222222:key/abcd1234-12ab-34cd-56ef-1234567890ab"
)

// lifecycleOptions are every option of a transfer that changes what the source
// stack holds or what its provider's role may do. The first value of each is the
// crossRegion() transfer's.
var lifecycleOptions = []option{
	{"task.mode", []func(*spec.Transfer){func(t *spec.Transfer) {}, func(t *spec.Transfer) { t.Task.Mode = "BASIC" }}},
	{"task.logLevel", []func(*spec.Transfer){
		func(t *spec.Transfer) {}, func(t *spec.Transfer) { t.Task.LogLevel = "OFF" }, func(t *spec.Transfer) { t.Task.LogLevel = "TRANSFER" }}},
	{"task.startOnDeploy", []func(*spec.Transfer){func(t *spec.Transfer) {}, func(t *spec.Transfer) { t.Task.StartOnDeploy = true }}},
	{"source.region", []func(*spec.Transfer){func(t *spec.Transfer) {}, func(t *spec.Transfer) { t.Source.Region = "eu-west-1" }}},
	{"task.report", []func(*spec.Transfer){func(t *spec.Transfer) {}, func(t *spec.Transfer) {
		t.Task.Report = &spec.Report{Bucket: "acme-reports", Prefix: "datasync"}
	}}},
	{"notifications", []func(*spec.Transfer){func(t *spec.Transfer) {}, func(t *spec.Transfer) { t.Notifications.Email = "ops@example.com" }}},
	{"source.bucket", []func(*spec.Transfer){func(t *spec.Transfer) {}, func(t *spec.Transfer) { t.Source.Bucket = "acme-media-src-2" }}},
	{"source.prefix", []func(*spec.Transfer){func(t *spec.Transfer) {}, func(t *spec.Transfer) { t.Source.Prefix = "" }}},
	{"destination.bucket", []func(*spec.Transfer){func(t *spec.Transfer) {}, func(t *spec.Transfer) { t.Destination.Bucket = "acme-media-dst-2" }}},
	{"destination.prefix", []func(*spec.Transfer){func(t *spec.Transfer) {}, func(t *spec.Transfer) { t.Destination.Prefix = "" }}},
	{"source.kmsKeyArn", []func(*spec.Transfer){func(t *spec.Transfer) {}, func(t *spec.Transfer) {
		t.Source.KmsKeyArn = map[string]string{"us-east-1": keyUSE1, "eu-west-1": keyEUW1}[t.Source.Region]
	}}},
	{"destination.kmsKeyArn", []func(*spec.Transfer){func(t *spec.Transfer) {}, func(t *spec.Transfer) { t.Destination.KmsKeyArn = keyUSW2 }}},
	// Monitoring on (the default, with notifications only where an e-mail is set) and off.
	{"monitoring", []func(*spec.Transfer){func(t *spec.Transfer) {}, func(t *spec.Transfer) { t.Monitoring.Enabled = jsii.Bool(false) }}},
}

// backgroundOptions are crossed in full; every other option is flipped on each of
// those backgrounds.
const backgroundOptions = 4

// lifecycleConfig is one config: the value index of each option.
type lifecycleConfig []int

func (c lifecycleConfig) key() string { return fmt.Sprint([]int(c)) }

func (c lifecycleConfig) transfer() spec.Transfer {
	t := crossRegion()
	for i, v := range c {
		lifecycleOptions[i].values[v](&t)
	}
	return t
}

func (c lifecycleConfig) String() string {
	var parts []string
	for i, v := range c {
		if v != 0 {
			parts = append(parts, fmt.Sprintf("%s#%d", lifecycleOptions[i].name, v))
		}
	}
	if len(parts) == 0 {
		return "defaults"
	}
	return strings.Join(parts, ",")
}

// lifecyclePairs generates the transitions: every ordered pair of backgrounds (the
// first backgroundOptions options crossed), and on every background each other
// option changed to each of its other values and back.
func lifecyclePairs() (configs []lifecycleConfig, pairs [][2]lifecycleConfig) {
	var backgrounds []lifecycleConfig
	var cross func(prefix []int)
	cross = func(prefix []int) {
		if len(prefix) == backgroundOptions {
			c := make(lifecycleConfig, len(lifecycleOptions))
			copy(c, prefix)
			backgrounds = append(backgrounds, c)
			return
		}
		for v := range lifecycleOptions[len(prefix)].values {
			cross(append(slices.Clone(prefix), v))
		}
	}
	cross(nil)
	seen := map[string]bool{}
	addConfig := func(c lifecycleConfig) {
		if !seen[c.key()] {
			seen[c.key()] = true
			configs = append(configs, c)
		}
	}
	for _, from := range backgrounds {
		addConfig(from)
		for _, to := range backgrounds {
			if from.key() != to.key() {
				pairs = append(pairs, [2]lifecycleConfig{from, to})
			}
		}
		for o := backgroundOptions; o < len(lifecycleOptions); o++ {
			for v := 1; v < len(lifecycleOptions[o].values); v++ {
				changed := slices.Clone(from)
				changed[o] = v
				addConfig(changed)
				pairs = append(pairs, [2]lifecycleConfig{from, changed}, [2]lifecycleConfig{changed, from})
			}
		}
	}
	return configs, pairs
}

// customResource is a provider resource of a synthesized template.
type customResource struct {
	Type       string
	Properties map[string]any
}

// sourceTemplate is what the lifecycle check reads of a source stack's template.
type sourceTemplate struct {
	resources map[string]customResource // provider resources by logical ID
	policy    []map[string]any          // the provider (location-admin) role's inline policy
}

func readSourceTemplate(t *testing.T, path string) sourceTemplate {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var tm struct {
		Resources map[string]struct {
			Type       string
			Properties map[string]any
		}
	}
	if err := json.Unmarshal(raw, &tm); err != nil {
		t.Fatal(err)
	}
	out := sourceTemplate{resources: map[string]customResource{}}
	for id, r := range tm.Resources {
		switch {
		case strings.HasPrefix(r.Type, "Custom::"):
			out.resources[id] = customResource{r.Type, r.Properties}
		case r.Type == "AWS::IAM::Role" && strings.Contains(id, "LocationAdminRole"):
			for _, p := range r.Properties["Policies"].([]any) {
				for _, s := range p.(map[string]any)["PolicyDocument"].(map[string]any)["Statement"].([]any) {
					out.policy = append(out.policy, s.(map[string]any))
				}
			}
		}
	}
	return out
}

// replaced reports which resources an update from old to new replaces: the provider
// returns a new physical ID (resource.Replaces), or a property refers to a resource
// that is replaced (its Ref resolves to the new physical ID).
func replaced(old, cur sourceTemplate) map[string]bool {
	out := map[string]bool{}
	for changed := true; changed; {
		changed = false
		for id, o := range old.resources {
			n, kept := cur.resources[id]
			if !kept || out[id] {
				continue
			}
			refsReplaced := false
			for ref := range out {
				if strings.Contains(toString(n.Properties), `{"Ref":"`+ref+`"}`) {
					refsReplaced = true
				}
			}
			if refsReplaced || resource.Replaces(o.Type, stringProps(o.Properties), stringProps(n.Properties)) {
				out[id], changed = true, true
			}
		}
	}
	return out
}

// stringProps renders tokens (Ref, Fn::GetAtt) as strings, as CloudFormation passes
// resolved values to the provider.
func stringProps(p map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range p {
		if s, ok := v.(string); ok {
			out[k] = s
		} else {
			out[k] = toString(v)
		}
	}
	return out
}

// allowed evaluates an identity policy's Allow statements for an action on a
// resource (IAM's * and ? wildcards in both). Statements with conditions are not
// counted: the calls checked here are made without the context they would need.
func allowed(policy []map[string]any, action, resource string) bool {
	for _, s := range policy {
		if s["Effect"] != "Allow" || s["Condition"] != nil {
			continue
		}
		if slices.ContainsFunc(strs(s["Action"]), func(a string) bool { return wildcardMatch(a, action) }) &&
			slices.ContainsFunc(strs(s["Resource"]), func(r string) bool { return wildcardMatch(r, resource) }) {
			return true
		}
	}
	return false
}

func wildcardMatch(pattern, s string) bool {
	re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern)) + "$"
	return regexp.MustCompile(re).MatchString(s)
}

// TestCleanupKeepsItsPermissionsThroughEveryConfigChange synthesizes the source
// stack of every generated config and, for every generated transition, checks that
// the provider's role in the NEW template allows every call the delete of each
// resource the update removes or replaces makes: CloudFormation applies the new role
// policy first and deletes those resources last, in the cleanup phase. Every
// transition that removes the shared CloudWatch Logs resource policy's resource
// (BASIC logging turned off, or the task no longer BASIC) is replayed against the
// provider (replayLoggingOff): the task must stop pointing at its log group and the
// policy must be deleted.
func TestCleanupKeepsItsPermissionsThroughEveryConfigChange(t *testing.T) {
	configs, pairs := lifecyclePairs()
	ctx := cdkContext(t)
	ctx["aws:cdk:bundling-stacks"] = []string{}
	outdir := t.TempDir()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir), Context: &ctx})
	for i, c := range configs {
		tr := c.transfer()
		transfer.NewSourceStack(app, fmt.Sprintf("Config%d", i), &transfer.SourceStackProps{Transfer: &tr})
	}
	app.Synth(nil)
	templates := map[string]sourceTemplate{}
	for i, c := range configs {
		templates[c.key()] = readSourceTemplate(t, filepath.Join(outdir, fmt.Sprintf("Config%d.template.json", i)))
	}

	checked, failures, loggingOff := 0, 0, 0
	for _, p := range pairs {
		old, cur := templates[p[0].key()], templates[p[1].key()]
		from := p[0].transfer()
		gone := replaced(old, cur)
		for id, r := range old.resources {
			if _, kept := cur.resources[id]; !kept {
				gone[id] = true
				if r.Type == resource.TypeLogsResourcePolicy {
					loggingOff++
					if left := replayLoggingOff(old, cur, gone); left != "" {
						t.Errorf("%s -> %s: %s", p[0], p[1], left)
					}
				}
			}
		}
		for id := range gone {
			r := old.resources[id]
			for _, call := range deleteCalls(r, from) {
				checked++
				if !allowed(cur.policy, call[0], call[1]) {
					failures++
					if failures <= 20 {
						t.Errorf("%s -> %s: deleting %s (%s) calls %s on %s, which the new role does not allow",
							p[0], p[1], id, r.Type, call[0], call[1])
					}
				}
			}
		}
	}
	t.Logf("%d configs synthesized, %d transitions, %d delete calls checked against the new role, %d transitions removing the logs policy replayed",
		len(configs), len(pairs), checked, loggingOff)
	checkMonitoringTransitions(t, outdir, configs, pairs)
	if checked == 0 || loggingOff == 0 {
		t.Fatal("no transition removed or replaced a resource, or none removed the logs policy: the generator is broken")
	}
}

// deleteCalls are the calls (action, resource) the provider's delete of a resource
// of the old template makes, by the provider's own table (resource.RequiredActions
// and resource.ActionResources), on resources of the Region in its properties.
func deleteCalls(r customResource, t spec.Transfer) [][2]string {
	region, _ := r.Properties["Region"].(string)
	fill := strings.NewReplacer(resource.ResPartition, "aws", resource.ResRegion, region, resource.ResAccount, t.Source.Account,
		"location/*", "location/loc-0123456789abcdef0", "task/*", "task/task-0123456789abcdef0")
	var out [][2]string
	for _, action := range resource.RequiredActions(r.Type, resource.Delete) {
		for _, pattern := range resource.ActionResources(action) {
			out = append(out, [2]string{action, fill.Replace(pattern)})
		}
	}
	return out
}

// checkMonitoringTransitions: switching monitoring on or off changes only the
// notifier and its rules: the provider's role is the same (every cleanup stays
// allowed), and the notifier is there exactly when monitoring is on. (The e-mail
// topic keeps its logical ID: TestMonitoringOffKeepsTheFailureMailOnly.)
func checkMonitoringTransitions(t *testing.T, outdir string, configs []lifecycleConfig, pairs [][2]lifecycleConfig) {
	t.Helper()
	monitoring := slices.IndexFunc(lifecycleOptions, func(o option) bool { return o.name == "monitoring" })
	type facts struct {
		notifier bool
		policy   string
	}
	read := map[string]facts{}
	for i, c := range configs {
		raw, err := os.ReadFile(filepath.Join(outdir, fmt.Sprintf("Config%d.template.json", i)))
		if err != nil {
			t.Fatal(err)
		}
		var tm tmpl
		if err := json.Unmarshal(raw, &tm); err != nil {
			t.Fatal(err)
		}
		f := facts{policy: toString(readSourceTemplate(t, filepath.Join(outdir, fmt.Sprintf("Config%d.template.json", i))).policy)}
		for id, r := range tm.resources("AWS::Lambda::Function") {
			if strings.Contains(id, "Notifier") && r["Properties"].(map[string]any)["FunctionName"] == c.transfer().NotifierFunctionName() {
				f.notifier = true
			}
		}
		if f.notifier != (c[monitoring] == 0) {
			t.Errorf("%s: notifier present %t", c, f.notifier)
		}
		read[c.key()] = f
	}
	switched := 0
	for _, p := range pairs {
		if p[0][monitoring] == p[1][monitoring] {
			continue
		}
		differs := slices.Clone(p[0])
		differs[monitoring] = p[1][monitoring]
		if differs.key() != p[1].key() {
			continue // other options change too
		}
		switched++
		from, to := read[p[0].key()], read[p[1].key()]
		if from.policy != to.policy {
			t.Errorf("%s -> %s: switching monitoring changes the provider's role", p[0], p[1])
		}
	}
	if switched == 0 {
		t.Fatal("no transition switches monitoring alone")
	}
	t.Logf("%d transitions switch monitoring on or off", switched)
}
