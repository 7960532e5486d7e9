package spec

import (
	"strings"
	"testing"
)

func TestMonitoringDefaultsAndValidation(t *testing.T) {
	base := Transfer{Name: "media", Source: Source{Account: "111111111111", Region: "us-east-1", Bucket: "acme-src"},
		Destination: Destination{Account: "222222222222", Region: "us-west-2", Bucket: "acme-dst"}}
	d := base.WithDefaults().Monitoring
	if !d.On() || d.StallMinutes != 30 || d.Dashboard != "shared" || d.NotifySuccess {
		t.Errorf("defaults %+v", d)
	}
	off := false
	base.Monitoring.Enabled = &off
	if base.WithDefaults().Monitoring.On() {
		t.Error("enabled: false is on")
	}
	for _, tc := range []struct {
		name string
		m    Monitoring
		want string
	}{
		{"stall 10 (lowest)", Monitoring{StallMinutes: 10}, ""},
		{"stall 9", Monitoring{StallMinutes: 9}, `monitoring.stallMinutes: 9 is not 10 to 10080`},
		{"stall a week", Monitoring{StallMinutes: 10080}, ""},
		{"stall over a week", Monitoring{StallMinutes: 10081}, `monitoring.stallMinutes: 10081 is not 10 to 10080`},
		{"dashboard transfer", Monitoring{Dashboard: "transfer"}, ""},
		{"dashboard none", Monitoring{Dashboard: "none"}, ""},
		{"dashboard typo", Monitoring{Dashboard: "own"}, `monitoring.dashboard: "own" is not one of shared transfer none`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := base
			tr.Monitoring = tc.m
			err := tr.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	// Both problems at once.
	tr := base
	tr.Monitoring = Monitoring{StallMinutes: 1, Dashboard: "x"}
	if err := tr.Validate(); err == nil || !strings.Contains(err.Error(), "stallMinutes") || !strings.Contains(err.Error(), "dashboard") {
		t.Errorf("want both problems: %v", err)
	}
}

func TestMonitoringGroupsBySourceAccountAndDestinationRegion(t *testing.T) {
	mk := func(name, account, region, dashboard string, on bool) Transfer {
		tr := Transfer{Name: name, Source: Source{Account: account, Region: "us-east-1", Bucket: "s"},
			Destination: Destination{Account: "222222222222", Region: region, Bucket: "d"}}
		tr.Monitoring.Dashboard = dashboard
		if !on {
			tr.Monitoring.Enabled = new(bool)
		}
		return tr
	}
	groups := MonitoringGroups([]Transfer{
		mk("a", "111111111111", "us-west-2", "", true), mk("b", "333333333333", "us-west-2", "", true),
		mk("c", "111111111111", "us-west-2", "transfer", true), mk("d", "111111111111", "eu-west-1", "", true),
		mk("e", "111111111111", "us-west-2", "none", true), mk("f", "111111111111", "us-west-2", "", false),
	})
	var got []string
	for _, g := range groups {
		var names []string
		for _, tr := range g.Transfers {
			names = append(names, tr.Name)
		}
		got = append(got, g.StackName()+":"+strings.Join(names, ","))
	}
	want := "datasync-monitoring-111111111111-us-west-2:a,c datasync-monitoring-333333333333-us-west-2:b datasync-monitoring-111111111111-eu-west-1:d"
	if strings.Join(got, " ") != want {
		t.Errorf("groups %v, want %s", got, want)
	}
}
