package gateway

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
)

// The development sign-in: on a developer's machine (make run) the console
// offers every role and scope of the platform, and the gateway signs the
// token with the development issuer the services there trust. It exists
// only when the launcher passes the issuer (DEV_SIGNIN_ISSUER_DIR); a
// deployment signs people in at its identity provider instead.

// devSignInRequest is the body of POST /auth/dev/sign-in.
type devSignInRequest struct {
	Role        string   `json:"role"`
	ScopeOrgID  string   `json:"scopeOrgId"`
	MemberID    string   `json:"memberId"`
	UnitID      string   `json:"unitId"`
	Name        string   `json:"name"`
	Permissions []string `json:"permissions"`
}

// devPermissions are the extra permissions a development session may ask for.
var devPermissions = []string{auth.PermUnmaskedID}

func (s *Sessions) devSignIn(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get(csrfHeader) == "" {
		s.fail(w, r, http.StatusForbidden, codes.PermissionDenied, "signing in needs the header "+csrfHeader)
		return
	}
	var req devSignInRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 8<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		s.fail(w, r, http.StatusBadRequest, codes.InvalidArgument, "the body is not a sign-in request: "+err.Error())
		return
	}
	role := auth.Role(req.Role)
	if st := devSignInProblems(req, role); st != nil {
		writeError(r.Context(), s.log, w, newJSONMarshaler(), http.StatusBadRequest, st)
		return
	}
	subject := string(role)
	switch {
	case req.MemberID != "":
		subject += ":" + req.MemberID
	case req.ScopeOrgID != "":
		subject += ":" + req.ScopeOrgID
	}
	token, err := s.cfg.DevIssuer.Issue(devissuer.Claims{
		Subject: subject, Name: strings.TrimSpace(req.Name), Role: role, ScopeOrgID: req.ScopeOrgID,
		MemberID: req.MemberID, UnitID: req.UnitID, Permissions: req.Permissions, TTL: s.cfg.DevTTL,
	})
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, codes.Internal, err.Error())
		return
	}
	setSession(w, r, token, time.Now().Add(s.cfg.DevTTL))
	s.describe(w, r, token)
}

// devSignInProblems names every field of req that is wrong, as the
// services do (BadRequest field violations), so the console shows each
// beside its field.
func devSignInProblems(req devSignInRequest, role auth.Role) *status.Status {
	var v []*errdetails.BadRequest_FieldViolation
	add := func(field, msg string) {
		v = append(v, &errdetails.BadRequest_FieldViolation{Field: field, Description: msg})
	}
	switch {
	case !role.Valid():
		add("role", fmt.Sprintf("unknown role %q", req.Role))
	case role.Scoped() && req.ScopeOrgID == "":
		add("scope_org_id", "this role works inside an organisation: choose one")
	case role == auth.Member && req.MemberID == "":
		add("member_id", "a member signs in as a member record: give its id")
	case role == auth.UnitContact && req.UnitID == "":
		add("unit_id", "a unit contact speaks for a resident unit: choose one")
	}
	for _, p := range req.Permissions {
		if !slices.Contains(devPermissions, p) {
			add("permissions", fmt.Sprintf("unknown permission %q", p))
		}
	}
	if len(v) == 0 {
		return nil
	}
	st, err := status.New(codes.InvalidArgument, "the sign-in request is not valid").
		WithDetails(&errdetails.BadRequest{FieldViolations: v})
	if err != nil {
		return status.New(codes.InvalidArgument, "the sign-in request is not valid")
	}
	return st
}

// devOrganisations lists organisations for the scope picker of the sign-in
// page, which has no session yet: the gateway asks its own API as a city
// administrator for one minute. Only parentId and kind pass through.
func (s *Sessions) devOrganisations(w http.ResponseWriter, r *http.Request) {
	s.devList(w, r, "/v1/organisations", "parentId", "kind")
}

// devList answers a page of 500 of a list route for the sign-in page, read
// as a city administrator for one minute, passing only the named filters.
func (s *Sessions) devList(w http.ResponseWriter, r *http.Request, route string, filters ...string) {
	token, err := s.cfg.DevIssuer.Issue(devissuer.Claims{Subject: "dev-sign-in", Role: auth.CityAdmin, TTL: time.Minute})
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, codes.Internal, err.Error())
		return
	}
	q := url.Values{"pageSize": {"500"}}
	for _, k := range filters {
		if v := r.URL.Query().Get(k); v != "" {
			q.Set(k, v)
		}
	}
	rec, err := getInProcess(r.Context(), s.api, route, q, token)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, codes.InvalidArgument, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(rec.code)
	_, _ = w.Write(rec.body.Bytes())
}

// devResidentUnits lists the resident units of a community for the sign-in
// page's unit picker (a unit contact speaks for one unit), as
// devOrganisations does for the scope: only communityId passes through.
func (s *Sessions) devResidentUnits(w http.ResponseWriter, r *http.Request) {
	s.devList(w, r, "/v1/resident-units", "communityId")
}

// devMembers finds members by name for the sign-in page's member picker
// (a member signs in as their own record): only name passes through.
func (s *Sessions) devMembers(w http.ResponseWriter, r *http.Request) {
	s.devList(w, r, "/v1/members", "name")
}

// tokenExpiry reads the exp claim of a token already verified.
func tokenExpiry(token string) (time.Time, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return time.Time{}, errors.New("not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}, err
	}
	var c struct {
		Exp int64 `json:"exp"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return time.Time{}, err
	}
	return time.Unix(c.Exp, 0), nil
}
