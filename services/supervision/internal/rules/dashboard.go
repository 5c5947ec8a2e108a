package rules

import (
	"context"
	"slices"
)

// Dashboard is what the counters of a subtree say.
type Dashboard struct {
	Counts   []CountRow
	Branches []Branch
	Quarters []QuarterRow
}

// CountRow counts the items of one rule and state in the subtree of one
// organisation one level below the root, or ("") in the root's whole
// subtree.
type CountRow struct {
	RuleCode, State string
	Escalated       bool
	Branch          string
	N               int64
}

// Branch is an organisation one level below the root.
type Branch struct{ ID, Name, Kind string }

// QuarterRow counts the findings made and items opened in a quarter.
type QuarterRow struct {
	Quarter               string
	Findings, ItemsOpened int64
}

// DashboardStore reads the counters.
type DashboardStore interface {
	Dashboard(ctx context.Context, rootID string, quarters []string) (*Dashboard, error)
}

// Quarters are the n quarters up to the current one, oldest first.
func (s *Service) Quarters(n int) []string {
	q := QuarterOf(s.today())
	out := make([]string, n)
	for i := n - 1; i >= 0; i-- {
		out[i] = q.String()
		q = q.Previous()
	}
	return slices.Clip(out)
}
