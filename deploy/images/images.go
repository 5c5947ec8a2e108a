// Package images builds one minimal OCI image per service without a
// container daemon or a registry: the service's static binary as the
// entrypoint, a non-root user, CA roots and time-zone data, and nothing
// else (no shell, no package manager). Each image is written as a
// docker-archive tarball that `docker load`, `podman load`, `crane push`
// and `skopeo copy docker-archive:…` all read.
//
// An image is made for every services/<name>/cmd/<name>: a new service
// gets one by having that directory. Its name is gongjian/<name> and its
// tag the chart's appVersion (charts/gongjian/Chart.yaml), which are the
// chart's defaults; the test holds the chart's values to them.
//
// The module is kept out of go.work so that `make test` does not compile
// go-containerregistry; `make images` runs it with GOWORK=off.
package images

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"sigs.k8s.io/yaml"
)

// The image's fixed shape. The chart runs every container as UID and GID
// 65532 (values.yaml runAsUser); the image says the same so that it also
// runs unprivileged outside the chart.
const (
	UID        = 65532
	User       = "65532:65532"
	BinDir     = "/usr/local/bin"
	CACerts    = "/etc/ssl/certs/ca-certificates.crt"
	ZoneInfo   = "/usr/share/zoneinfo"
	Repository = "gongjian"
)

// Options says what to build and where.
type Options struct {
	// Root is the repository's root directory.
	Root string
	// Out is the directory the <name>.tar files are written to.
	Out string
	// Repository prefixes every image name: <Repository>/<service>.
	Repository string
	// Tag of every image; empty means the chart's appVersion.
	Tag string
	// Arch is the GOARCH of the binaries and the image's architecture.
	Arch string
	// Created stamps the config, the labels and every file in the
	// layers, so that the same commit gives the same image digest. Zero
	// means SOURCE_DATE_EPOCH, else the time of the commit checked out.
	Created time.Time
	// Log receives one line per image; nil discards.
	Log io.Writer
}

// Result is one image written.
type Result struct {
	Service string
	Ref     string // gongjian/<service>:<tag>
	Path    string // the docker-archive tarball
	Digest  v1.Hash
}

// Services lists the services that get an image: every services/<name>
// with a main command at services/<name>/cmd/<name>, sorted.
func Services(root string) ([]string, error) {
	dirs, err := filepath.Glob(filepath.Join(root, "services", "*", "cmd", "*"))
	if err != nil {
		return nil, err
	}
	var names []string
	for _, d := range dirs {
		cmd := filepath.Base(d)
		if filepath.Base(filepath.Dir(filepath.Dir(d))) != cmd {
			continue // another command of a service, not its server
		}
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			continue
		}
		names = append(names, cmd)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no services/<name>/cmd/<name> under %s", root)
	}
	slices.Sort(names)
	return names, nil
}

// AppVersion reads the chart's appVersion: the release of the services
// the chart deploys by default, and so the tag of the images.
func AppVersion(root string) (string, error) {
	raw, err := os.ReadFile(filepath.Join(root, "charts", "gongjian", "Chart.yaml"))
	if err != nil {
		return "", err
	}
	var chart struct {
		AppVersion string `json:"appVersion"`
	}
	if err := yaml.Unmarshal(raw, &chart); err != nil {
		return "", fmt.Errorf("Chart.yaml: %w", err)
	}
	if chart.AppVersion == "" {
		return "", fmt.Errorf("Chart.yaml has no appVersion")
	}
	return chart.AppVersion, nil
}

// Build builds the images of the named services (all of them when names
// is empty), one after the other, and writes each to Out/<name>.tar.
func Build(ctx context.Context, o Options, names ...string) ([]Result, error) {
	all, err := Services(o.Root)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		names = all
	}
	for _, n := range names {
		if !slices.Contains(all, n) {
			return nil, fmt.Errorf("no service %q (services/%[1]s/cmd/%[1]s); services: %s", n, strings.Join(all, ", "))
		}
	}
	if o.Repository == "" {
		o.Repository = Repository
	}
	if o.Arch == "" {
		o.Arch = "amd64"
	}
	if o.Tag == "" {
		if o.Tag, err = AppVersion(o.Root); err != nil {
			return nil, err
		}
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Created.IsZero() {
		o.Created = sourceDate(o.Root)
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp("", "gongjian-images-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)

	base, err := baseLayer(ctx, o.Created)
	if err != nil {
		return nil, err
	}
	revision := gitOutput(o.Root, "rev-parse", "HEAD")
	var results []Result
	for _, n := range names {
		bin := filepath.Join(work, n)
		if err := buildBinary(ctx, o, n, bin); err != nil {
			return nil, err
		}
		ref := o.Repository + "/" + n + ":" + o.Tag
		img, err := assemble(o, n, bin, base, revision)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		path := filepath.Join(o.Out, n+".tar")
		if err := write(path, ref, img); err != nil {
			return nil, fmt.Errorf("%s: %w", n, err)
		}
		d, err := img.Digest()
		if err != nil {
			return nil, err
		}
		fi, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(o.Log, "%-40s %s  %5.1f MB  %s\n", ref, d, float64(fi.Size())/1e6, path)
		results = append(results, Result{Service: n, Ref: ref, Path: path, Digest: d})
	}
	return results, nil
}

// buildBinary builds services/<name>/cmd/<name> as a static Linux binary.
// GOWORK=off: a released binary is its module as its own go.mod pins it.
func buildBinary(ctx context.Context, o Options, name, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w",
		"-o", out, "./cmd/"+name)
	cmd.Dir = filepath.Join(o.Root, "services", name)
	cmd.Env = append(os.Environ(), "GOWORK=off", "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+o.Arch)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build ./services/%s/cmd/%[1]s: %w\n%s", name, err, stderr.String())
	}
	return nil
}

// assemble puts the shared base layer and the binary's layer on an empty
// image and writes the config a pod needs.
func assemble(o Options, svc, bin string, base v1.Layer, revision string) (v1.Image, error) {
	binLayer, err := binaryLayer(bin, svc, o.Created)
	if err != nil {
		return nil, err
	}
	created := v1.Time{Time: o.Created}
	img, err := mutate.Append(empty.Image,
		mutate.Addendum{Layer: base, History: v1.History{Created: created,
			CreatedBy: "gongjian base: users root, nobody and nonroot (65532), CA roots, zoneinfo, /tmp"}},
		mutate.Addendum{Layer: binLayer, History: v1.History{Created: created,
			CreatedBy: fmt.Sprintf("CGO_ENABLED=0 GOOS=linux GOARCH=%s go build -trimpath -ldflags='-s -w' ./services/%s/cmd/%[2]s", o.Arch, svc)}},
	)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS = "linux"
	cf.Architecture = o.Arch
	cf.Created = created
	labels := map[string]string{
		"org.opencontainers.image.title":       svc,
		"org.opencontainers.image.description": "Gongjian " + svc + ": a static binary as the entrypoint, run as a non-root user",
		"org.opencontainers.image.version":     o.Tag,
		"org.opencontainers.image.created":     o.Created.UTC().Format(time.RFC3339),
		"org.opencontainers.image.vendor":      "Gongjian",
	}
	if revision != "" {
		labels["org.opencontainers.image.revision"] = revision
	}
	cf.Config = v1.Config{
		Entrypoint: []string{BinDir + "/" + svc},
		User:       User,
		WorkingDir: "/",
		// PATH only so that `kubectl exec … -- <service> migrate` finds
		// the binary by name; there is nothing else to find.
		Env:    []string{"PATH=" + BinDir},
		Labels: labels,
	}
	return mutate.ConfigFile(img, cf)
}

// write writes img as a docker-archive tarball tagged ref, through a
// temporary file so that a failed build never leaves half an image.
func write(path, ref string, img v1.Image) error {
	tag, err := name.NewTag(ref)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := tarball.WriteToFile(tmp, tag, img); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

// sourceDate is SOURCE_DATE_EPOCH when set, else the commit time of HEAD,
// else the Unix epoch: never the clock, so that builds are reproducible.
func sourceDate(root string) time.Time {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		s = gitOutput(root, "log", "-1", "--format=%ct")
	}
	if sec, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(sec, 0).UTC()
	}
	return time.Unix(0, 0).UTC()
}

// gitOutput runs git in root and returns its trimmed output, or "" when
// there is no git or no repository (a source tarball builds all the same).
func gitOutput(root string, args ...string) string {
	cmd := exec.Command("git", args...)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
