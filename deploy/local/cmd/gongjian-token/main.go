// Command gongjian-token prints a token from the development issuer of the
// system that `make run` started, for any demo role, to use with curl
// (-H "Authorization: Bearer …") or grpcurl (-H "authorization: Bearer …").
//
//	go run ./deploy/local/cmd/gongjian-token -role district_admin -scope <district id>
//
// The services trust these tokens only because make run configures them to
// (AUTH_KEYS_FILE); a deployment trusts its own identity provider instead.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gongjian.dev/deploy/local/internal/stack"
	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
)

func main() {
	role := flag.String("role", string(auth.CityAdmin), "city_admin, district_admin, street_admin, community_secretary, grid_leader, unit_contact, inspector, member, system or service")
	scope := flag.String("scope", "", "the organisation whose subtree the caller works in (empty: the whole city)")
	member := flag.String("member", "", "for the member role: the caller's member id")
	unit := flag.String("unit", "", "for the unit_contact role: the resident unit the caller speaks for")
	subject := flag.String("sub", "", "the caller's id (default: the role)")
	name := flag.String("name", "", "the caller's name")
	perms := flag.String("perms", "", "extra permissions, comma-separated (personal_data.unmasked)")
	scopes := flag.String("scopes", "", "for system and service callers: OAuth scopes, space-separated (organisation.read organisation.write)")
	ttl := flag.Duration("ttl", 8*time.Hour, "how long the token is valid")
	flag.Parse()
	if err := run(auth.Role(*role), *scope, *member, *unit, *subject, *name, *perms, *scopes, *ttl); err != nil {
		fmt.Fprintln(os.Stderr, "gongjian-token:", err)
		os.Exit(1)
	}
}

func run(role auth.Role, scope, member, unit, subject, name, perms, scopes string, ttl time.Duration) error {
	dir := os.Getenv("GONGJIAN_DATA")
	if dir == "" {
		root, err := stack.RepoRoot(".")
		if err != nil {
			return err
		}
		dir = filepath.Join(root, ".data")
	}
	issuer, err := devissuer.Load(filepath.Join(dir, "auth"))
	if err != nil {
		return err
	}
	if subject == "" {
		subject = string(role)
	}
	token, err := issuer.Issue(devissuer.Claims{
		Subject: subject, Name: name, Role: role, ScopeOrgID: scope, MemberID: member, UnitID: unit,
		Permissions: split(perms, ","), Scopes: strings.Fields(scopes), TTL: ttl,
	})
	if err != nil {
		return err
	}
	fmt.Println(token)
	return nil
}

func split(s, sep string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, sep)
}
