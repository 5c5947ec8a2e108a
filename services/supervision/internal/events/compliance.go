package events

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/cityclock"
	"gongjian.dev/pkg/pgdb"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	"gongjian.dev/services/supervision/internal/rules"
	"gongjian.dev/services/supervision/internal/store"
)

// ComplianceReports reads the organisation service's compliance report of
// each district (its whole subtree), with the service's own token, and
// keeps each staffing, structure, premises and coverage finding as a fact
// of compliance_finding, once per organisation, check and quarter: the
// organisation service judges the tree against DOMAIN §1 and publishes no
// event of it, so this service asks, as that service's own readers do. The
// next sweep judges the facts.
type ComplianceReports struct {
	// Client is the organisation service's ComplianceService; nil leaves
	// the facts unread.
	Client orgv1.ComplianceServiceClient
	Store  *store.Store
	// Every is how often the reports are read again.
	Every time.Duration
	Clock cityclock.Clock

	mu   sync.Mutex
	last time.Time
}

// PullDue reads the reports when Every has passed since the last read that
// succeeded, and returns how many facts were new.
func (c *ComplianceReports) PullDue(ctx context.Context) (int, error) {
	if c.Client == nil {
		return 0, nil
	}
	c.mu.Lock()
	due := c.last.IsZero() || c.Clock.Now().Sub(c.last) >= c.Every
	if due {
		c.last = c.Clock.Now()
	}
	c.mu.Unlock()
	if !due {
		return 0, nil
	}
	n, err := c.Pull(ctx)
	if err != nil {
		// A report not read (the organisation service down, say) is
		// asked again at the next sweep, not an interval later: what a
		// pull finds is recorded once per quarter, so asking again is safe.
		c.mu.Lock()
		c.last = time.Time{}
		c.mu.Unlock()
	}
	return n, err
}

// Pull reads every district's report now.
func (c *ComplianceReports) Pull(ctx context.Context) (int, error) {
	ds, err := c.Store.Districts(ctx)
	if err != nil {
		return 0, err
	}
	made := 0
	var all []error
	for _, d := range ds {
		n, err := c.pullDistrict(ctx, d.ID)
		made += n
		if err != nil {
			all = append(all, fmt.Errorf("compliance report of district %s: %w", d.ID, err))
		}
	}
	return made, errors.Join(all...)
}

func (c *ComplianceReports) pullDistrict(ctx context.Context, districtID string) (int, error) {
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	today := c.Clock.Today()
	resp, err := c.Client.GetComplianceReport(cctx, &orgv1.GetComplianceReportRequest{OrganisationId: districtID, Subtree: true,
		AsOfDate: today.Format(time.DateOnly)})
	if err != nil {
		return 0, err
	}
	quarter := rules.QuarterOf(today).String()
	at := c.Clock.Now()
	made := 0
	err = pgdb.InTx(ctx, c.Store.Pool(), func(tx pgx.Tx) error {
		made = 0
		ts := c.Store.Tx(tx)
		for _, r := range resp.GetResults() {
			check := trimEnum(r.GetRule().String(), "COMPLIANCE_RULE_")
			area, ok := rules.ComplianceAreas[check]
			if !ok {
				continue // the quarterly activity is judged by its own rule
			}
			for _, f := range r.GetFindings() {
				period := quarter + " " + strings.ToLower(check)
				if f.GetSubjectId() != "" {
					period += " " + f.GetSubjectId()
				}
				vars := map[string]any{"area": area, "check": check, "reason": f.GetReason()}
				isNew, err := ts.SaveEventFact(ctx, rules.FactComplianceFinding, f.GetOrganisationId(), period, f.GetOrganisationId(), vars, at)
				if err != nil {
					return err
				}
				if isNew {
					made++
				}
			}
		}
		return nil
	})
	return made, err
}
