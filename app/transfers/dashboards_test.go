package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestStatusPrintsDashboardLinks(t *testing.T) {
	// GIVEN three transfers of account 111111111111 in three Regions (monitoring on)
	e := newEnv(t)
	lastRuns(e)

	// WHEN
	r := e.run("status", "-c", e.config)
	j := e.run("status", "-c", e.config, "--json")

	// THEN one shared dashboard per source account and Region, with its console link
	if r.code != 0 || j.code != 0 {
		t.Fatalf("exit %d, %d", r.code, j.code)
	}
	_, links, ok := strings.Cut(r.stdout, "\nDashboards:\n")
	if !ok {
		t.Fatalf("no dashboards after the table:\n%s", r.stdout)
	}
	for _, want := range []string{
		"datasync-111111111111-us-west-2 (photos)\n    https://us-west-2.console.aws.amazon.com/cloudwatch/home?region=us-west-2#dashboards/dashboard/datasync-111111111111-us-west-2",
		"datasync-111111111111-eu-west-1 (logs)", "datasync-111111111111-us-east-1 (archive)",
	} {
		if !strings.Contains(links, want) {
			t.Errorf("dashboards lack %q:\n%s", want, links)
		}
	}
	var out struct {
		Dashboards []struct {
			Name, URL string
			Transfers []string
		}
	}
	if err := json.Unmarshal([]byte(j.stdout), &out); err != nil || len(out.Dashboards) != 3 ||
		out.Dashboards[0].Name != "datasync-111111111111-us-west-2" || out.Dashboards[0].Transfers[0] != "photos" ||
		!strings.HasSuffix(out.Dashboards[0].URL, "#dashboards/dashboard/datasync-111111111111-us-west-2") {
		t.Errorf("JSON dashboards %+v (%v)", out.Dashboards, err)
	}
}
