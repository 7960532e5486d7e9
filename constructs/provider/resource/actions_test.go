package resource

import (
	"slices"
	"strings"
	"testing"
)

func TestRequiredActionsTable(t *testing.T) {
	types := []string{TypeS3Location, TypeTask, TypeTaskExecution, TypeOwnershipControls, TypeBucketPolicyStatements, TypeLogsResourcePolicy}
	for _, typ := range types {
		for _, rt := range []Request{Create, Update, Delete} {
			if _, ok := requiredActions[typ][rt]; !ok {
				t.Errorf("no entry for %s %s", typ, rt)
			}
			for _, a := range RequiredActions(typ, rt) {
				res := ActionResources(a)
				if len(res) == 0 {
					t.Errorf("%s: no resource scope", a)
				}
				for _, arn := range res {
					if arn != "*" && !strings.HasPrefix(arn, "arn:"+ResPartition+":") && arn != ResRole {
						t.Errorf("%s: resource %q is neither * nor an ARN pattern", a, arn)
					}
				}
			}
		}
	}
	if len(requiredActions) != len(types) || !slices.Equal(Types(), sorted(types)) {
		t.Errorf("the table serves %v, the provider %v", Types(), types)
	}
	// The cleanup deletes the issue is about: the logs resource policy needs
	// datasync:ListTasks, a location delete only location actions.
	if !slices.Contains(RequiredActions(TypeLogsResourcePolicy, Delete), "datasync:ListTasks") {
		t.Error("the logs resource policy's delete lists tasks")
	}
	if RequiredActions("Custom::Nope", Create) != nil {
		t.Error("an unknown type has actions")
	}
	// Callers get a copy.
	a := RequiredActions(TypeTask, Create)
	a[0] = "x"
	if RequiredActions(TypeTask, Create)[0] == "x" {
		t.Error("RequiredActions returns its table")
	}
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
