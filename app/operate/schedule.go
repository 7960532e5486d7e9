package operate

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/cronexpr"
)

// DataSync does not return a task's next scheduled run (DescribeTask has only the
// expression and its status), so it is computed here. Task schedules use
// EventBridge's syntax, in UTC: rate(N unit), and cron(minutes hours day-of-month
// month day-of-week year) with day-of-week 1-7 = SUN-SAT.

var (
	rateRe = regexp.MustCompile(`^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$`)
	cronRe = regexp.MustCompile(`^cron\((.*)\)$`)
	// dowItemRe is one item of a day-of-week list: a day or range, then #n, L or /step.
	dowItemRe = regexp.MustCompile(`^([0-9]+|[A-Za-z]{3})(?:-([0-9]+|[A-Za-z]{3}))?(#[0-9]+|L|/[0-9]+)?$`)
)

// NextRun is the first run of schedule expr after now. For cron() it is exact. A
// rate() schedule counts from when it was set, which DataSync does not report
// exactly: anchor is the best guess (when the schedule's status last changed, or the
// task was created), and estimated says the result is that guess.
func NextRun(expr string, anchor, now time.Time) (next time.Time, estimated bool, err error) {
	sc, err := ParseSchedule(expr)
	if err != nil {
		return time.Time{}, false, err
	}
	return sc.Next(anchor, now)
}

// Expr is a parsed schedule expression: rate() or cron().
type Expr struct {
	expr   string
	period time.Duration // rate()
	cron   *cronexpr.Expression
}

// ParseSchedule parses a task's schedule expression once, for many Next calls.
func ParseSchedule(expr string) (*Expr, error) {
	expr = strings.TrimSpace(expr)
	if m := rateRe.FindStringSubmatch(expr); m != nil {
		n, _ := strconv.Atoi(m[1])
		unit := map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}[strings.TrimSuffix(m[2], "s")]
		period := time.Duration(n) * unit
		if period <= 0 {
			return nil, fmt.Errorf("schedule %q: rate below 1", expr)
		}
		return &Expr{expr: expr, period: period}, nil
	}
	m := cronRe.FindStringSubmatch(expr)
	if m == nil {
		return nil, fmt.Errorf("schedule %q is neither rate(...) nor cron(...)", expr)
	}
	fields := strings.Fields(m[1])
	if len(fields) != 6 && len(fields) != 5 {
		return nil, fmt.Errorf("schedule %q: cron(...) has %d fields, not 6", expr, len(fields))
	}
	dow, err := dayOfWeekFromAWS(fields[4])
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %w", expr, err)
	}
	fields[4] = dow
	e, err := cronexpr.Parse(strings.Join(fields, " "))
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %w", expr, err)
	}
	return &Expr{expr: expr, cron: e}, nil
}

// Period is a rate() schedule's period; 0 for cron().
func (sc *Expr) Period() time.Duration { return sc.period }

// Next is the first run after now (see NextRun).
func (sc *Expr) Next(anchor, now time.Time) (next time.Time, estimated bool, err error) {
	if sc.period > 0 {
		if anchor.IsZero() || anchor.After(now) {
			return now.Add(sc.period).UTC(), true, nil
		}
		k := now.Sub(anchor)/sc.period + 1
		return anchor.Add(k * sc.period).UTC(), true, nil
	}
	next = sc.cron.Next(now.UTC())
	if next.IsZero() {
		return time.Time{}, false, fmt.Errorf("schedule %q has no run after %s", sc.expr, now.UTC().Format(time.RFC3339))
	}
	return next, false, nil
}

// dayOfWeekFromAWS renumbers a day-of-week field from AWS's 1-7 (SUN-SAT) to the
// 0-6 of cron libraries; names, '?', '*', 'L' and the n of '#n' stay as they are.
func dayOfWeekFromAWS(field string) (string, error) {
	if field == "?" || field == "*" || field == "L" {
		return field, nil
	}
	items := strings.Split(field, ",")
	for i, item := range items {
		m := dowItemRe.FindStringSubmatch(item)
		if m == nil {
			return "", fmt.Errorf("day-of-week %q is not understood", item)
		}
		day := func(s string) (string, error) {
			n, err := strconv.Atoi(s)
			if err != nil {
				return s, nil // a name: SUN, MON, ...
			}
			if n < 1 || n > 7 {
				return "", fmt.Errorf("day-of-week %d is not 1-7 (SUN-SAT)", n)
			}
			return strconv.Itoa(n - 1), nil
		}
		from, err := day(m[1])
		if err != nil {
			return "", err
		}
		out := from
		if m[2] != "" {
			to, err := day(m[2])
			if err != nil {
				return "", err
			}
			out += "-" + to
		}
		items[i] = out + m[3]
	}
	return strings.Join(items, ","), nil
}
