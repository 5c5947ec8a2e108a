// Command member-bulkload measures the bulk import of a roster
// (MemberImportService) against the member service as it runs, for `make
// perf`: the same rows first copied with CopyFrom into tables shaped as
// members (the ceilings), then streamed as one CSV file over gRPC, checked
// and registered end to end (bulkload.Run). The rows join the branches of
// the service's organisation view in turn. It prints one JSON object on
// stdout.
//
//	DATABASE_URL=… MEMBER_ID_KEYS=… MEMBER_ID_HASH_KEY=… MEMBER_TOKEN=<a city administrator's token> \
//	    member-bulkload -addr 127.0.0.1:9090 -rows 1500000 -area 610103
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/pgdb"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/bulkload"
	"gongjian.dev/services/member/internal/bench"
	"gongjian.dev/services/member/internal/store"
)

func main() {
	addr := flag.String("addr", "", "the member service's gRPC address")
	rows := flag.Int("rows", 20_000, "members in the roster")
	area := flag.String("area", "", "the division code the rows' ID numbers begin with (610102 when empty)")
	flag.Parse()
	res, err := run(context.Background(), *addr, *rows, *area)
	if err != nil {
		fmt.Fprintln(os.Stderr, "member-bulkload:", err)
		os.Exit(1)
	}
	_ = json.NewEncoder(os.Stdout).Encode(res)
}

func run(ctx context.Context, addr string, rows int, area string) (bulkload.Result, error) {
	url, token := os.Getenv("DATABASE_URL"), os.Getenv("MEMBER_TOKEN")
	switch {
	case addr == "":
		return bulkload.Result{}, errors.New("-addr is not set")
	case url == "":
		return bulkload.Result{}, errors.New("DATABASE_URL is not set")
	case token == "":
		return bulkload.Result{}, errors.New("MEMBER_TOKEN is not set")
	}
	pool, err := pgdb.Open(ctx, url, store.Schema)
	if err != nil {
		return bulkload.Result{}, err
	}
	defer pool.Close()
	branches, err := bench.ReadBranches(ctx, pool)
	if err != nil {
		return bulkload.Result{}, err
	}
	orgs := make([]string, len(branches))
	for i, b := range branches {
		orgs[i] = b.ID
	}
	conn, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(auth.BearerToken(token, false)))
	if err != nil {
		return bulkload.Result{}, err
	}
	defer conn.Close()
	return bulkload.Run(ctx, bulkload.Config{Rows: rows, Organisations: orgs, Area: area, Client: pb.NewMemberImportServiceClient(conn),
		Pool: pool, IDKeys: os.Getenv("MEMBER_ID_KEYS"), IDHashKey: os.Getenv("MEMBER_ID_HASH_KEY")})
}
