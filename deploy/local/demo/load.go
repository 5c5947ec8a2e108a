package demo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

// parallel is how many calls the loader keeps in flight: enough to keep a
// service on a small machine busy, few enough not to queue on its database
// pool.
const parallel = 8

type loader struct {
	orgs orgv1.OrganisationServiceClient
	demo orgv1.DemonstrationServiceClient
	comp orgv1.ComplianceServiceClient
}

func newLoader(conn grpc.ClientConnInterface) *loader {
	return &loader{
		orgs: orgv1.NewOrganisationServiceClient(conn),
		demo: orgv1.NewDemonstrationServiceClient(conn),
		comp: orgv1.NewComplianceServiceClient(conn),
	}
}

// tree creates the city, districts and streets one by one, then everything
// below each street, the streets' children side by side.
func (l *loader) tree(ctx context.Context, p *plan) error {
	if err := l.create(ctx, p.city, ""); err != nil {
		return err
	}
	type job struct{ n, parent *node }
	var jobs []job
	for _, d := range p.city.children {
		if err := l.create(ctx, d, p.city.id); err != nil {
			return err
		}
		for _, s := range d.children {
			if err := l.create(ctx, s, d.id); err != nil {
				return err
			}
			for _, c := range s.children {
				jobs = append(jobs, job{c, s})
			}
		}
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(parallel)
	for _, j := range jobs {
		g.Go(func() error { return l.subtree(ctx, j.n, j.parent.id) })
	}
	return g.Wait()
}

func (l *loader) subtree(ctx context.Context, n *node, parentID string) error {
	if err := l.create(ctx, n, parentID); err != nil {
		return err
	}
	for _, c := range n.children {
		if err := l.subtree(ctx, c, n.id); err != nil {
			return err
		}
	}
	return nil
}

// create creates one organisation; a repeated request id gives back the one
// an earlier load made, as it is now.
func (l *loader) create(ctx context.Context, n *node, parentID string) error {
	org := proto.CloneOf(n.org)
	org.ParentId = parentID
	if org.GetFoundingDate() == "" {
		// The demo city's organisations existed long before they were
		// recorded here, as a real city's do when it starts using the system.
		org.FoundingDate = foundingDate
	}
	resp, err := l.orgs.CreateOrganisation(ctx, &orgv1.CreateOrganisationRequest{
		Organisation: org, RequestId: requestID(n.key),
	})
	if err != nil {
		return fmt.Errorf("creating %s: %w", n.org.GetName(), err)
	}
	n.existing = resp.GetOrganisation()
	n.id = n.existing.GetId()
	return nil
}

// details sets what hangs off each organisation, many organisations at once.
func (l *loader) details(ctx context.Context, p *plan) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(parallel)
	p.city.walk(func(n *node) {
		g.Go(func() error { return l.detail(ctx, n) })
	})
	return g.Wait()
}

func (l *loader) detail(ctx context.Context, n *node) error {
	// A team set by an earlier load is left alone: setting it again would
	// add a version to the organisation's history.
	if len(n.team) > 0 && len(n.existing.GetLeadership()) == 0 {
		_, err := l.orgs.SetLeadershipTeam(ctx, &orgv1.SetLeadershipTeamRequest{OrganisationId: n.id, Cadres: n.team})
		if err != nil {
			return fmt.Errorf("leadership of %s: %w", n.org.GetName(), err)
		}
	}
	for i, a := range n.life {
		_, err := l.orgs.RecordActivity(ctx, &orgv1.RecordActivityRequest{
			OrganisationId: n.id, Activity: a, RequestId: requestID(fmt.Sprintf("%s/life%d", n.key, i)),
		})
		if err != nil {
			return fmt.Errorf("activity %q of %s: %w", a.GetTopic(), n.org.GetName(), err)
		}
	}
	if len(n.points) > 0 {
		return l.points(ctx, n)
	}
	return nil
}

// points creates the community's coverage points that it does not have yet.
func (l *loader) points(ctx context.Context, community *node) error {
	resp, err := l.orgs.ListCoveragePoints(ctx, &orgv1.ListCoveragePointsRequest{CommunityId: community.id})
	if err != nil {
		return fmt.Errorf("coverage points of %s: %w", community.org.GetName(), err)
	}
	have := map[string]bool{}
	for _, cp := range resp.GetCoveragePoints() {
		have[cp.GetName()] = true
	}
	for _, pt := range community.points {
		if have[pt.name] {
			continue
		}
		cp := &orgv1.CoveragePoint{Kind: pt.kind, Name: pt.name, MemberCount: pt.members}
		if pt.coveredBy != nil {
			cp.CoveringOrganisationId = pt.coveredBy.id
		}
		_, err := l.orgs.CreateCoveragePoint(ctx, &orgv1.CreateCoveragePointRequest{CommunityId: community.id, CoveragePoint: cp})
		if err != nil {
			return fmt.Errorf("coverage point %s of %s: %w", pt.name, community.org.GetName(), err)
		}
	}
	return nil
}

// demonstration designates the demonstration sites, completes the
// milestones already due, rates the years gone by and links the leaders.
func (l *loader) demonstration(ctx context.Context, p *plan) error {
	list, err := l.demo.ListDemonstrationSites(ctx, &orgv1.ListDemonstrationSitesRequest{AncestorId: p.city.id})
	if err != nil {
		return err
	}
	sites := map[string]*orgv1.DemonstrationSite{}
	for _, s := range list.GetSites() {
		sites[s.GetCommunityId()] = s
	}
	for _, s := range p.sites {
		if err := l.site(ctx, p, s, sites[s.community.id]); err != nil {
			return fmt.Errorf("demonstration site %s: %w", s.community.org.GetName(), err)
		}
	}
	return l.liaisons(ctx, p)
}

func (l *loader) site(ctx context.Context, p *plan, s *site, existing *orgv1.DemonstrationSite) error {
	if existing == nil {
		resp, err := l.demo.CreateDemonstrationSite(ctx, &orgv1.CreateDemonstrationSiteRequest{Site: &orgv1.DemonstrationSite{
			CommunityId: s.community.id, StartDate: s.start, EndDate: s.end,
		}})
		if err != nil {
			return err
		}
		existing = resp.GetSite()
	}
	today := p.today.Format(dateLayout)
	for _, m := range existing.GetMilestones() {
		if m.GetCompleteTime() != nil || m.GetDueDate() >= today {
			continue
		}
		_, err := l.demo.CompleteMilestone(ctx, &orgv1.CompleteMilestoneRequest{
			SiteId: existing.GetId(), MilestoneId: m.GetId(), Note: "经县委组织部验收，达到阶段目标",
		})
		if err != nil {
			return err
		}
	}
	for _, r := range s.ratings {
		if _, err := l.demo.RateFiveGoods(ctx, &orgv1.RateFiveGoodsRequest{SiteId: existing.GetId(), Rating: r}); err != nil {
			return err
		}
	}
	return nil
}

// liaisons creates the links not made yet, a link being known by its
// community and the leader's title.
func (l *loader) liaisons(ctx context.Context, p *plan) error {
	list, err := l.demo.ListLiaisons(ctx, &orgv1.ListLiaisonsRequest{AncestorId: p.city.id})
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, li := range list.GetLiaisons() {
		have[li.GetCommunityId()+"|"+li.GetLeaderTitle()] = true
	}
	for _, li := range p.liaisons {
		if have[li.community.id+"|"+li.title] {
			continue
		}
		_, err := l.demo.CreateLiaison(ctx, &orgv1.CreateLiaisonRequest{Liaison: &orgv1.Liaison{
			Kind: li.kind, LeaderName: li.leader, LeaderTitle: li.title,
			CommunityId: li.community.id, StartTime: timestamppb.New(li.start),
		}})
		if err != nil {
			return fmt.Errorf("liaison of %s with %s: %w", li.title, li.community.org.GetName(), err)
		}
	}
	return nil
}

// requestID is the request id of a plan key: readable when it fits the 64
// characters the API allows, hashed otherwise.
func requestID(key string) string {
	id := "demo/" + key
	if len(id) <= 64 {
		return id
	}
	sum := sha256.Sum256([]byte(key))
	return "demo/" + hex.EncodeToString(sum[:16])
}
