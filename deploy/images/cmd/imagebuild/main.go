// Command imagebuild builds the services' OCI images as docker-archive
// tarballs, with no container daemon and no registry (what `make images`
// runs):
//
//	imagebuild -root ../.. -out ../../.data/images            every service
//	imagebuild -root ../.. -out /tmp/img member gateway        some of them
//
// Each image is <repository>/<service>:<tag>, by default gongjian/<service>
// tagged with the chart's appVersion: the names the chart deploys.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"

	"gongjian.dev/deploy/images"
)

func main() {
	root := flag.String("root", ".", "the repository's root")
	out := flag.String("out", "", "where to write <service>.tar (default <root>/.data/images)")
	repo := flag.String("repository", images.Repository, "image name prefix: <repository>/<service>")
	tag := flag.String("tag", "", "image tag (default: appVersion of charts/gongjian/Chart.yaml)")
	arch := flag.String("arch", "amd64", "GOARCH of the binaries and the images")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: imagebuild [flags] [service ...]\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *out == "" {
		*out = filepath.Join(*root, ".data", "images")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	_, err := images.Build(ctx, images.Options{
		Root: *root, Out: *out, Repository: *repo, Tag: *tag, Arch: *arch, Log: os.Stdout,
	}, flag.Args()...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "imagebuild:", err)
		os.Exit(1)
	}
}
