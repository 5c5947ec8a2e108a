package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"gongjian.dev/deploy/local/demo"
	"gongjian.dev/deploy/local/internal/console"
	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
)

// demoMarker, in the data folder, says the demo city was loaded completely.
// Without it, a demo city found in the database is one whose load was cut
// short, and loading resumes: the demo creates nothing twice.
const demoMarker = "demo-loaded"

// demoCity loads the demo city into a system holding no city (or the demo
// city half loaded) and returns the id of the city there is; with the member
// service in the tree (its address in addrs), the city's members too, and
// with the co-building service as well, Tongjiang's co-building year, and
// with the supervision service, Tongjiang's inspection round and answers to
// the items of last quarter's missed activities. A
// failed load does not stop the system; the next start tries again.
func demoCity(ctx context.Context, out *console.Console, services *serviceOutput, data string, addrs map[string]string, issuer *devissuer.Issuer, load bool) string {
	organisationAddr, memberAddr := addrs["organisation"], addrs["member"]
	if organisationAddr == "" {
		return "" // the organisation service is not in the tree
	}
	// The demo is loaded as the city's organisation department would enter it.
	token, err := issuer.Issue(devissuer.Claims{Subject: "demo-loader", Name: "demo loader", Role: auth.CityAdmin, TTL: 2 * time.Hour})
	if err != nil {
		out.Printf("demo", "%v", err)
		return ""
	}
	conn, err := dial(organisationAddr, token)
	if err != nil {
		out.Printf("demo", "%v", err)
		return ""
	}
	defer conn.Close()
	state, cityID, err := demo.Inspect(ctx, conn)
	if err != nil {
		out.Printf("demo", "%v", err)
		return ""
	}
	marker := filepath.Join(data, demoMarker)
	_, statErr := os.Stat(marker)
	loaded := statErr == nil
	switch {
	case !load:
		return cityID
	case state == demo.OtherCity:
		out.Printf("demo", "the database holds another city: the demo city is not loaded")
		return cityID
	case state == demo.DemoCity && loaded:
		out.Printf("demo", "demo city loaded on an earlier start; delete the data folder to load it afresh")
		return cityID
	case state == demo.DemoCity:
		out.Printf("demo", "demo city found half loaded: resuming")
	default:
		out.Printf("demo", "empty system: loading the demo city")
	}
	start := time.Now()
	resume := services.hush()
	sum, err := demo.Load(ctx, conn, time.Now(), out.Logger("demo"))
	if err == nil && memberAddr != "" {
		err = demoMembers(ctx, out, memberAddr, addrs["cobuilding"], token, sum)
	}
	if err == nil && addrs["supervision"] != "" {
		err = demoSupervision(ctx, out, addrs["supervision"], conn, memberAddr, token, sum)
	}
	hidden := resume()
	if err != nil {
		if !errors.Is(ctx.Err(), context.Canceled) {
			out.Printf("demo", "load failed, the system runs without it and the next start tries again: %v", err)
		}
		return sum.CityID
	}
	if err := os.WriteFile(marker, []byte(time.Now().Format(time.RFC3339)+"\n"), 0o644); err != nil {
		out.Printf("demo", "%v", err)
	}
	out.Printf("demo", "loaded in %s with %d calls (their log lines left out): %s",
		time.Since(start).Round(100*time.Millisecond), hidden, sum)
	return sum.CityID
}

// dial connects to a service as the bearer of token.
func dial(addr, token string) (*grpc.ClientConn, error) {
	return grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(auth.BearerToken(token, false)))
}

// demoSupervision loads Tongjiang's inspection round and answers some of
// the items of last quarter's missed activities through the supervision
// service, as the same organisation department; with the member service
// (memberAddr set), also its quarter's assessment and the year's
// commendations.
func demoSupervision(ctx context.Context, out *console.Console, supervisionAddr string, orgs *grpc.ClientConn, memberAddr, token string,
	sum demo.Summary) error {
	sup, err := dial(supervisionAddr, token)
	if err != nil {
		return err
	}
	defer sup.Close()
	s, err := demo.LoadSupervision(ctx, sup, orgs, sum, out.Logger("demo"))
	if err != nil {
		return err
	}
	out.Printf("demo", "%s", s)
	if memberAddr == "" {
		return nil
	}
	members, err := dial(memberAddr, token)
	if err != nil {
		return err
	}
	defer members.Close()
	a, err := demo.LoadAssessment(ctx, sup, members, sum, out.Logger("demo"))
	if err != nil {
		return err
	}
	out.Printf("demo", "%s", a)
	return nil
}

// demoMembers registers the demo city's members through the member service,
// as the same organisation department, and with the co-building service
// (cobuildingAddr set), loads Tongjiang's co-building year through it.
func demoMembers(ctx context.Context, out *console.Console, memberAddr, cobuildingAddr, token string, sum demo.Summary) error {
	conn, err := dial(memberAddr, token)
	if err != nil {
		return err
	}
	defer conn.Close()
	members, err := demo.LoadMembers(ctx, conn, sum, out.Logger("demo"))
	if err != nil {
		return err
	}
	out.Printf("demo", "%s", members)
	mobile, err := demo.LoadMobile(ctx, conn, sum, out.Logger("demo"))
	if err != nil {
		return err
	}
	out.Printf("demo", "%s", mobile)
	reporting, err := demo.LoadReporting(ctx, conn, sum, out.Logger("demo"))
	if err != nil {
		return err
	}
	out.Printf("demo", "%s", reporting)
	dues, err := demo.LoadDues(ctx, conn, sum, out.Logger("demo"))
	if err != nil {
		return err
	}
	out.Printf("demo", "%s", dues)
	if cobuildingAddr == "" {
		return nil
	}
	cob, err := dial(cobuildingAddr, token)
	if err != nil {
		return err
	}
	defer cob.Close()
	cobuilding, err := demo.LoadCoBuilding(ctx, cob, conn, sum, out.Logger("demo"))
	if err != nil {
		return err
	}
	out.Printf("demo", "%s", cobuilding)
	return nil
}
