package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	pb "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

// refused is an error answer of the gateway as a client reads it.
type refused struct {
	status  int
	message string
	fields  []string
}

// raw sends a request with its own content type and body to the gateway
// as the city administrator.
func (s *system) raw(t *testing.T, method, path, contentType string, body []byte) refused {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+s.http+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+s.admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out struct {
		Message string `json:"message"`
		Details []struct {
			FieldViolations []struct {
				Field string `json:"field"`
			} `json:"fieldViolations"`
		} `json:"details"`
	}
	_ = json.Unmarshal(b, &out)
	r := refused{status: resp.StatusCode, message: out.Message}
	for _, d := range out.Details {
		for _, v := range d.FieldViolations {
			r.fields = append(r.fields, v.Field)
		}
	}
	return r
}

// inputHygiene sends what a careless or hostile client sends, over REST
// through the gateway and over gRPC to the services: each is refused with
// the status it deserves and a plain message, never a 500.
func inputHygiene(t *testing.T, s *system, parentID string) {
	internals := []string{"grpc:", "proto:", "strconv", "larger than max", "invalid character", "json:"}
	plain := func(t *testing.T, what string, r refused) {
		t.Helper()
		for _, mark := range internals {
			if strings.Contains(r.message, mark) {
				t.Errorf("%s: the message %q carries %q", what, r.message, mark)
			}
		}
	}
	jsonBody := "application/json"
	for _, c := range []struct {
		name, method, path, contentType, body string
		status                                int
		field                                 string
	}{
		{"a NUL in an organisation's name", "POST", "/v1/organisations", jsonBody,
			fmt.Sprintf(`{"kind":"ORGANISATION_KIND_BRANCH","name":"第二\u0000支部","parentId":%q}`, parentID), 400, "organisation.name"},
		{"ESC in an organisation's name", "POST", "/v1/organisations", jsonBody,
			fmt.Sprintf(`{"kind":"ORGANISATION_KIND_BRANCH","name":"第二\u001b[31m支部","parentId":%q}`, parentID), 400, "organisation.name"},
		{"BEL in a member's employer", "POST", "/v1/members", jsonBody,
			fmt.Sprintf(`{"name":"李娜","employer":"金川\u0007集团","organisationId":%q}`, parentID), 400, "member.employer"},
		{"a NUL in a transfer's reason", "POST", "/v1/transfers", jsonBody,
			`{"memberId":"0190a3f0-0000-7000-8000-000000000000","toOrganisationId":"0190a3f0-0000-7000-8000-000000000001","reason":"迁居\u0000"}`,
			400, "transfer.reason"},
		{"an empty body where a transfer is required", "POST", "/v1/transfers", jsonBody, "", 400, "transfer"},
		{"a body sent as text/plain", "POST", "/v1/organisations", "text/plain",
			fmt.Sprintf(`{"kind":"ORGANISATION_KIND_BRANCH","name":"第二支部","parentId":%q}`, parentID), 415, ""},
		{"a word where a number goes", "GET", "/v1/organisations?kind=ORGANISATION_KIND_BRANCH&pageSize=ten", "", "", 400, ""},
		{"a 10 MB JSON body", "POST", "/v1/organisations", jsonBody,
			`{"kind":"ORGANISATION_KIND_BRANCH","name":"` + strings.Repeat("长", 10<<20/3) + `"}`, 413, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := s.raw(t, c.method, c.path, c.contentType, []byte(c.body))
			if r.status != c.status || (c.field != "" && !slices.Contains(r.fields, c.field)) {
				t.Fatalf("HTTP %d %q naming %v, want %d naming %q", r.status, r.message, r.fields, c.status, c.field)
			}
			plain(t, c.name, r)
		})
	}
	t.Run("a 12 MB roster upload", func(t *testing.T) {
		var buf bytes.Buffer
		form := multipart.NewWriter(&buf)
		part, _ := form.CreateFormFile("file", "roster.csv")
		_, _ = part.Write(bytes.Repeat([]byte("a"), 12<<20))
		_ = form.WriteField("organisationId", parentID)
		_ = form.Close()
		r := s.raw(t, "POST", "/v1/members:import", form.FormDataContentType(), buf.Bytes())
		if r.status != http.StatusRequestEntityTooLarge {
			t.Fatalf("HTTP %d %q, want 413", r.status, r.message)
		}
		plain(t, "a 12 MB roster upload", r)
	})
	t.Run("a signed token whose scope_org is not an id is 401 over REST and gRPC", func(t *testing.T) {
		now := time.Now().Unix()
		bad, err := s.issuer.Sign(jwt.MapClaims{"iss": devissuer.IssuerName, "aud": devissuer.Audience, "sub": "x",
			"role": string(auth.DistrictAdmin), "scope_org": "../../", "iat": now, "exp": now + 3600})
		if err != nil {
			t.Fatal(err)
		}
		if code, out := s.restAs(t, bad, "GET", "/v1/organisations?kind=ORGANISATION_KIND_BRANCH", "", ""); code != http.StatusUnauthorized {
			t.Errorf("REST: HTTP %d %v, want 401", code, out)
		}
		conn, err := grpc.NewClient(s.grpc, grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithPerRPCCredentials(auth.BearerToken(bad, false)))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_, err = pb.NewOrganisationServiceClient(conn).ListOrganisations(ctxFor(t), &pb.ListOrganisationsRequest{})
		if status.Code(err) != codes.Unauthenticated {
			t.Errorf("gRPC: %v, want Unauthenticated", err)
		}
	})
	t.Run("a NUL in an organisation's name over gRPC", func(t *testing.T) {
		conn, err := grpc.NewClient(s.grpc, grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithPerRPCCredentials(auth.BearerToken(s.admin, false)))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_, err = pb.NewOrganisationServiceClient(conn).CreateOrganisation(ctxFor(t), &pb.CreateOrganisationRequest{Organisation: &pb.Organisation{
			Kind: pb.OrganisationKind_ORGANISATION_KIND_BRANCH, Name: "第二\x00支部", ParentId: parentID}})
		st := status.Convert(err)
		named := false
		for _, d := range st.Details() {
			if br, ok := d.(*errdetails.BadRequest); ok {
				for _, v := range br.GetFieldViolations() {
					named = named || v.GetField() == "organisation.name"
				}
			}
		}
		if st.Code() != codes.InvalidArgument || !named {
			t.Errorf("gRPC: %v, want InvalidArgument naming organisation.name", err)
		}
	})
}
