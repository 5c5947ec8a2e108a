package main

import (
	"fmt"
	"net/url"
	"strings"

	"gongjian.dev/deploy/local/internal/console"
	"gongjian.dev/deploy/local/internal/stack"
)

// banner is what the developer needs once everything is up.
type banner struct {
	data, httpAddr       string
	services, missing    []stack.Service
	addrs                map[string]string
	databaseURL, natsURL string
	cityID               string
	pids                 string // the folder of the pid files
}

func printBanner(out *console.Console, b banner) {
	rest := "http://" + b.httpAddr
	var s strings.Builder
	line := strings.Repeat("─", 78)
	fmt.Fprintf(&s, "\n%s\n  Gongjian is running. Data in %s (kept between runs; delete it to start afresh).\n\n", line, b.data)
	row := func(name, value string) { fmt.Fprintf(&s, "    %-14s %s\n", name, value) }
	row("Console", rest+"/  (open in a browser; sign in as any role)")
	row("REST gateway", rest)
	row("OpenAPI", rest+"/openapi.json")
	for _, svc := range b.services {
		row(svc.Name, b.addrs[svc.Name]+"  (gRPC, with reflection)")
	}
	for _, svc := range b.missing {
		row(svc.Name, "not in this tree yet")
	}
	row("PostgreSQL", redact(b.databaseURL))
	row("NATS", b.natsURL)

	city := b.cityID
	if city == "" {
		city = "<city id>"
	}
	fmt.Fprintf(&s, "\n  Every call needs a token; the development issuer prints one for any role:\n")
	fmt.Fprintf(&s, "    TOKEN=$(go run ./deploy/local/cmd/gongjian-token -role city_admin)\n")
	fmt.Fprintf(&s, "    (or -role district_admin -scope <district id>, -role community_secretary -scope <community id>, …)\n")
	fmt.Fprintf(&s, "\n  Try:\n")
	auth := `-H "Authorization: Bearer $TOKEN"`
	fmt.Fprintf(&s, "    curl -s %s '%s/v1/organisations?kind=ORGANISATION_KIND_CITY'\n", auth, rest)
	fmt.Fprintf(&s, "    curl -s %s '%s/v1/organisations?parent_id=%s'\n", auth, rest, city)
	fmt.Fprintf(&s, "    curl -s %s '%s/v1/organisations/%s/compliance?subtree=true'\n", auth, rest, city)
	if addr, ok := b.addrs["organisation"]; ok {
		fmt.Fprintf(&s, "    (cd deploy/tools && GOWORK=off go tool grpcurl -plaintext %s -d '{\"kind\":\"ORGANISATION_KIND_DISTRICT\"}' %s gongjian.organisation.v1.OrganisationService/ListOrganisations)\n",
			`-H "authorization: Bearer $TOKEN"`, addr)
	}
	fmt.Fprintf(&s, "    psql '%s'\n", redact(b.databaseURL))
	fmt.Fprintf(&s, "\n  Each process is restarted when it dies; their pids are in %s/<name>.pid.\n", b.pids)
	fmt.Fprintf(&s, "  Ctrl-C stops everything.\n%s\n\n", line)
	out.Plain(s.String())
}

// redact hides a password in a database URL.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	return u.Redacted()
}
