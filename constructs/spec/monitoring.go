package spec

import (
	"fmt"
	"slices"
	"strings"
)

// Monitoring configures what watches a transfer: a notifier function that turns
// DataSync's events and a periodic check into readable notifications, and the
// dashboards that show it. Every field has a default; Enabled false turns all of it off.
type Monitoring struct {
	// Enabled turns monitoring on or off as a whole. Off: no notifier, no checks, no
	// dashboards; notifications.email still receives failed executions as before.
	// Default: true.
	Enabled *bool `yaml:"enabled" json:"enabled,omitempty"`
	// StallMinutes is how long a running execution may make no progress (no counter of
	// DescribeTaskExecution moves, no phase change) before a "stalled" notification,
	// 10 to 10080. Default: 30.
	StallMinutes int `yaml:"stallMinutes" json:"stallMinutes,omitempty"`
	// Dashboard is "shared" (the transfer appears on the one dashboard of its source
	// account and Region, datasync-<account>-<region>), "transfer" (also a dashboard of
	// its own, datasync-<name>, billed per dashboard) or "none". Default: shared.
	Dashboard string `yaml:"dashboard" json:"dashboard,omitempty"`
	// NotifySuccess also notifies executions that end SUCCESS with nothing failed or
	// skipped. Default: false (only what needs attention is sent).
	NotifySuccess bool `yaml:"notifySuccess" json:"notifySuccess,omitempty"`
}

// Monitoring defaults and limits.
const (
	DefaultStallMinutes = 30
	MinStallMinutes     = 10 // twice the check interval
	MaxStallMinutes     = 7 * 24 * 60
	DashboardShared     = "shared"
	DashboardTransfer   = "transfer"
	DashboardNone       = "none"
	DefaultDashboard    = DashboardShared
	// CheckIntervalMinutes is how often the notifier checks a transfer (schedule
	// disabled, stalled run, overdue success).
	CheckIntervalMinutes = 5
)

// DashboardsAllowed are the values of Monitoring.Dashboard.
var DashboardsAllowed = []string{DashboardShared, DashboardTransfer, DashboardNone}

// On reports whether monitoring is enabled (the default).
func (m Monitoring) On() bool { return m.Enabled == nil || *m.Enabled }

// withDefaults returns a copy of m with its defaults applied.
func (m Monitoring) withDefaults() Monitoring {
	if m.Enabled != nil {
		on := *m.Enabled
		m.Enabled = &on
	}
	if m.StallMinutes == 0 {
		m.StallMinutes = DefaultStallMinutes
	}
	setDefault(&m.Dashboard, DefaultDashboard)
	return m
}

// validateMonitoring adds the problems of a transfer's monitoring block.
func validateMonitoring(c *collector, m Monitoring) {
	if m.StallMinutes != 0 && (m.StallMinutes < MinStallMinutes || m.StallMinutes > MaxStallMinutes) {
		c.add("monitoring.stallMinutes", m.StallMinutes, "is not %d to %d (minutes without progress before a running execution counts as stalled; the check runs every %d minutes)",
			MinStallMinutes, MaxStallMinutes, CheckIntervalMinutes)
	}
	if m.Dashboard != "" && !slices.Contains(DashboardsAllowed, m.Dashboard) {
		c.add("monitoring.dashboard", m.Dashboard, "is not one of %s", strings.Join(DashboardsAllowed, " "))
	}
}

// NotifierFunctionName is the monitoring Lambda of a transfer: datasync-<name>-notifier.
func (t Transfer) NotifierFunctionName() string { return "datasync-" + t.Name + "-notifier" }

// NotifierRoleName is the monitoring Lambda's role: datasync-<name>-notifier.
func (t Transfer) NotifierRoleName() string { return "datasync-" + t.Name + "-notifier" }

// TransferDashboardName is the transfer's own dashboard (monitoring.dashboard
// "transfer"): datasync-<name>.
func (t Transfer) TransferDashboardName() string { return "datasync-" + t.Name }

// SharedDashboardName is the dashboard of every transfer whose source stack is in
// account and region: datasync-<account>-<region>.
func SharedDashboardName(account, region string) string {
	return fmt.Sprintf("datasync-%s-%s", account, region)
}

// SharedDashboardName is the dashboard this transfer appears on: its source stack's
// account (the source account) and Region (the destination Region).
func (t Transfer) SharedDashboardName() string {
	return SharedDashboardName(t.Source.Account, t.Destination.Region)
}

// MonitoringStackName is the stack of the shared dashboard of account and region:
// datasync-monitoring-<account>-<region>.
func MonitoringStackName(account, region string) string {
	return fmt.Sprintf("datasync-monitoring-%s-%s", account, region)
}

// ConsoleHost is the AWS console's host for a Region of a partition.
func ConsoleHost(partition, region string) string {
	host := "console.aws.amazon.com"
	switch partition {
	case "aws-cn":
		host = "console.amazonaws.cn"
	case "aws-us-gov":
		host = "console.amazonaws-us-gov.com"
	}
	if !strings.HasPrefix(partition, "aws-iso") {
		host = region + "." + host
	}
	return host
}

// DashboardURL is the CloudWatch console link of a dashboard in the transfer's
// destination Region.
func (t Transfer) DashboardURL(name string) string {
	r := t.Destination.Region
	return fmt.Sprintf("https://%s/cloudwatch/home?region=%s#dashboards/dashboard/%s", ConsoleHost(t.Partition(), r), r, name)
}

// MonitoringGroup is the transfers of one shared dashboard: their source stacks'
// account and Region.
type MonitoringGroup struct {
	Account, Region string
	Transfers       []Transfer
}

// StackName is the group's monitoring stack.
func (g MonitoringGroup) StackName() string { return MonitoringStackName(g.Account, g.Region) }

// MonitoringGroups groups the transfers that appear on a shared dashboard (monitoring
// on, dashboard not "none") by their source stack's account and Region, in the order
// they first appear. The transfers are as given (defaults not applied).
func MonitoringGroups(ts []Transfer) []MonitoringGroup {
	var out []MonitoringGroup
	for _, raw := range ts {
		t := raw.WithDefaults()
		if !t.Monitoring.On() || t.Monitoring.Dashboard == DashboardNone {
			continue
		}
		i := slices.IndexFunc(out, func(g MonitoringGroup) bool { return g.Account == t.Source.Account && g.Region == t.Destination.Region })
		if i < 0 {
			out = append(out, MonitoringGroup{Account: t.Source.Account, Region: t.Destination.Region})
			i = len(out) - 1
		}
		out[i].Transfers = append(out[i].Transfers, raw)
	}
	return out
}

// DashboardLink is a dashboard of the transfers and its console link.
type DashboardLink struct {
	Name string `json:"name"`
	URL  string `json:"url"`
	// Transfers are the transfers it shows.
	Transfers []string `json:"transfers"`
}

// Dashboards lists the dashboards the transfers' monitoring creates: one per source
// account and Region (MonitoringGroups), then each transfer's own (dashboard
// "transfer").
func Dashboards(ts []Transfer) []DashboardLink {
	var out []DashboardLink
	for _, g := range MonitoringGroups(ts) {
		first := g.Transfers[0]
		l := DashboardLink{Name: first.SharedDashboardName(), URL: first.DashboardURL(first.SharedDashboardName())}
		for _, t := range g.Transfers {
			l.Transfers = append(l.Transfers, t.Name)
		}
		out = append(out, l)
	}
	for _, raw := range ts {
		t := raw.WithDefaults()
		if t.Monitoring.On() && t.Monitoring.Dashboard == DashboardTransfer {
			out = append(out, DashboardLink{Name: t.TransferDashboardName(), URL: t.DashboardURL(t.TransferDashboardName()), Transfers: []string{t.Name}})
		}
	}
	return out
}
