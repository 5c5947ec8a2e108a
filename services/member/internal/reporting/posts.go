package reporting

import (
	"context"
	"strings"
	"time"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/pkg/replay"
	"gongjian.dev/services/member/internal/member"
)

// Post is a service post a community offers its in-service members (认岗,
// DOMAIN §2): one of the five roles of document 004 or another, for at
// most Capacity members at once. Claimed counts the live claims.
type Post struct {
	ID          string
	CommunityID string
	Name        string
	Kind        string
	Description string
	Capacity    int32
	Claimed     int32
	CreatedBy   string
	Created     time.Time
}

// PostKinds are the kinds of post: the five roles (publicist, mediator,
// liaison, security, sanitation monitor) and any other.
var PostKinds = []string{"PUBLICIST", "MEDIATOR", "LIAISON", "SECURITY", "SANITATION", "OTHER"}

// Claim is a member's claim on a post, made under their registration with
// the post's community; Released is zero while the member holds the post.
type Claim struct {
	ID             string
	PostID         string
	PostName       string
	CommunityID    string
	MemberID       string
	RegistrationID string
	Claimed        time.Time
	Released       time.Time
}

// MaxPostCapacity bounds a post's capacity.
const MaxPostCapacity = 1000

// The errors of posts.
var (
	ErrPostNotFound   = errs.New(errs.NotFound, "post not found")
	ErrPostFull       = errs.WithReason(errs.FailedPrecondition, "POST_FULL", "the post is held by as many members as its capacity")
	ErrAlreadyClaimed = errs.WithReason(errs.AlreadyExists, "ALREADY_CLAIMED", "the member already holds this post")
	ErrNotClaimed     = errs.WithReason(errs.FailedPrecondition, "NOT_CLAIMED", "the member does not hold this post")
)

// PostFilter selects the posts of a community; with MemberID, only while
// that member is registered with it.
type PostFilter struct {
	CommunityID, MemberID string
	Page                  member.Page
}

// CreatePost publishes a post of a community. A request id seen before
// returns the post it made.
func (s *Service) CreatePost(ctx context.Context, communityID string, p Post, requestID string, a member.Actor) (*Post, error) {
	v := member.NewValidation()
	if strings.TrimSpace(p.Name) == "" {
		v.Add("post.name", "name is required")
	}
	known := false
	for _, k := range PostKinds {
		known = known || k == p.Kind
	}
	if !known {
		v.Add("post.kind", "kind is required")
	}
	if p.Capacity < 1 || p.Capacity > MaxPostCapacity {
		v.Add("post.capacity", "capacity is 1 to 1000")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var out *Post
	err := s.store.InTx(ctx, func(tx Tx) error {
		key := replay.Key("create_post", requestID)
		if seen, err := replay.Seen(ctx, tx, key, &out, tx.LockPost); err != nil || seen {
			return err
		}
		c, err := s.community(ctx, tx, communityID)
		if err != nil {
			return err
		}
		p.ID, p.CommunityID, p.Claimed, p.CreatedBy, p.Created = member.NewID(), c.ID, 0, a.Subject, s.clock.Now()
		if err := tx.InsertPost(ctx, &p); err != nil {
			return err
		}
		if err := tx.Emit(ctx, PostCreated{Post: &p}, p.Created); err != nil {
			return err
		}
		out = &p
		return tx.RememberRequest(ctx, key, p.ID)
	})
	return out, err
}

// ListPosts pages through a community's posts.
func (s *Service) ListPosts(ctx context.Context, f PostFilter) ([]*Post, string, error) {
	f.Page = f.Page.Bounded()
	return s.store.ListPosts(ctx, f)
}

// ClaimRequest names a post and the member claiming or releasing it.
type ClaimRequest struct {
	CommunityID, PostID, MemberID, RequestID string
}

// ClaimPost gives a member registered with a community a place on one of
// its posts. The post's row lock makes claims of one post queue, so that
// the count of live claims is exact, and the database refuses a count above
// the capacity whatever the code does. A request id seen before returns
// the claim it made.
func (s *Service) ClaimPost(ctx context.Context, r ClaimRequest, a member.Actor) (*Claim, error) {
	var out *Claim
	err := s.store.InTx(ctx, func(tx Tx) error {
		key := replay.Key("claim_post/"+a.Subject, r.RequestID)
		if seen, err := replay.Seen(ctx, tx, key, &out, tx.GetClaim); err != nil || seen {
			return err
		}
		reg, p, err := s.registeredFor(ctx, tx, r, a)
		if err != nil {
			return err
		}
		if _, found, err := tx.LiveClaim(ctx, p.ID, reg.MemberID); err != nil {
			return err
		} else if found {
			return errs.Field(ErrAlreadyClaimed, "post_id", "the member already holds this post")
		}
		if p.Claimed >= p.Capacity {
			return errs.Detail(ErrPostFull, "%d of %d places taken", p.Claimed, p.Capacity)
		}
		c := &Claim{ID: member.NewID(), PostID: p.ID, PostName: p.Name, CommunityID: p.CommunityID, MemberID: reg.MemberID,
			RegistrationID: reg.ID, Claimed: s.clock.Now()}
		if err := tx.InsertClaim(ctx, c); err != nil {
			return err
		}
		if err := tx.RememberRequest(ctx, key, c.ID); err != nil {
			return err
		}
		out = c
		return tx.Emit(ctx, PostClaimed{Claim: c}, c.Claimed)
	})
	return out, err
}

// ReleasePost ends a member's claim on a post.
func (s *Service) ReleasePost(ctx context.Context, r ClaimRequest, a member.Actor) (*Claim, error) {
	var out *Claim
	err := s.store.InTx(ctx, func(tx Tx) error {
		reg, p, err := s.registeredFor(ctx, tx, r, a)
		if err != nil {
			return err
		}
		c, found, err := tx.LiveClaim(ctx, p.ID, reg.MemberID)
		if err != nil {
			return err
		}
		if !found {
			return errs.Field(ErrNotClaimed, "post_id", "the member does not hold this post")
		}
		out = c
		return releaseClaim(ctx, tx, c, s.clock.Now())
	})
	return out, err
}

// registeredFor checks, in this order, the member (themselves, for a
// member), the community, the member's live registration with it, and
// the post, which it locks.
func (s *Service) registeredFor(ctx context.Context, tx Tx, r ClaimRequest, a member.Actor) (*Registration, *Post, error) {
	m, err := s.lockSelf(ctx, tx, r.MemberID, a)
	if err != nil {
		return nil, nil, err
	}
	c, err := s.community(ctx, tx, r.CommunityID)
	if err != nil {
		return nil, nil, err
	}
	reg, found, err := tx.RegistrationOn(ctx, m.ID, c.ID, s.clock.Today(), true)
	if err != nil {
		return nil, nil, err
	}
	if !found {
		return nil, nil, errs.Field(ErrNotRegistered, "member_id", "the member has no live registration with this community")
	}
	p, err := tx.LockPost(ctx, r.PostID)
	if err == nil && p.CommunityID != c.ID {
		err = ErrPostNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	return reg, p, nil
}

// releaseClaim ends a live claim at at and publishes it.
func releaseClaim(ctx context.Context, tx EndTx, c *Claim, at time.Time) error {
	c.Released = at
	if err := tx.ReleaseClaim(ctx, c); err != nil {
		return err
	}
	return tx.Emit(ctx, PostReleased{Claim: c}, at)
}
