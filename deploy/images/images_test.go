package images_test

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/x509"
	"debug/elf"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"sigs.k8s.io/yaml"

	"gongjian.dev/deploy/images"
)

// TestImages checks every service's image: by default it builds them into
// a temporary directory; with IMAGES_DIR set (as `make images` does) it
// checks the tarballs found there, which are then the ones shipped.
func TestImages(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	services, err := images.Services(root)
	if err != nil {
		t.Fatal(err)
	}
	// Every service directory has its server command, so every service
	// gets an image.
	dirs, err := filepath.Glob(filepath.Join(root, "services", "*", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if svc := filepath.Base(filepath.Dir(d)); !slices.Contains(services, svc) {
			t.Errorf("services/%s has no cmd/%[1]s, so no image", svc)
		}
	}

	dir := os.Getenv("IMAGES_DIR")
	if dir == "" {
		dir = t.TempDir()
		if _, err := images.Build(t.Context(), images.Options{Root: root, Out: dir}); err != nil {
			t.Fatal(err)
		}
	}

	tag, err := images.AppVersion(root)
	if err != nil {
		t.Fatal(err)
	}
	chart := readValues(t, root)
	if chart.RunAsUser != images.UID {
		t.Errorf("the chart runs containers as %d, the images as %d", chart.RunAsUser, images.UID)
	}
	for svc, img := range chart.Images {
		if !slices.Contains(services, svc) {
			t.Errorf("the chart deploys %s:%s but no service builds it (services/%s/cmd/%[3]s)", img.Repository, img.Tag, svc)
		}
	}

	bases := map[v1.Hash][]string{}
	for _, svc := range services {
		t.Run(svc, func(t *testing.T) {
			want := images.Repository + "/" + svc + ":" + tag
			if c, ok := chart.Images[svc]; !ok {
				t.Errorf("charts/gongjian/values.yaml has no %s.image: the image %s is deployed by nothing", svc, want)
			} else if got := c.Repository + ":" + c.Tag; got != want {
				t.Errorf("the chart's default image of %s is %s, make images builds %s", svc, got, want)
			}
			checkImage(t, filepath.Join(dir, svc+".tar"), svc, want, func(base v1.Hash) {
				bases[base] = append(bases[base], svc)
			})
		})
	}
	// The base layer is the same bytes in every image, so a registry or a
	// node stores it once.
	if len(bases) != 1 {
		t.Errorf("the images do not share their base layer: %v", bases)
	}
}

// chartValues is what the test reads of charts/gongjian/values.yaml.
type chartValues struct {
	RunAsUser int
	// Images by top-level key (the service's name): every value that has
	// an image.repository.
	Images map[string]chartImage
}

type chartImage struct {
	Repository string `json:"repository"`
	Tag        string `json:"tag"`
}

func readValues(t *testing.T, root string) chartValues {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, "charts", "gongjian", "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	if err := yaml.Unmarshal(raw, &top); err != nil {
		t.Fatal(err)
	}
	v := chartValues{Images: map[string]chartImage{}}
	if err := json.Unmarshal(top["runAsUser"], &v.RunAsUser); err != nil {
		t.Fatalf("values.yaml runAsUser: %v", err)
	}
	for key, msg := range top {
		var s struct {
			Image *chartImage `json:"image"`
		}
		if json.Unmarshal(msg, &s) == nil && s.Image != nil && s.Image.Repository != "" {
			v.Images[key] = *s.Image
		}
	}
	if len(v.Images) == 0 {
		t.Fatal("values.yaml names no image")
	}
	return v
}

// checkImage reads the tarball back and checks its name, its config, its
// files, and that its binary runs. It gives the digest of the base layer
// to base.
func checkImage(t *testing.T, tarPath, svc, ref string, base func(v1.Hash)) {
	opener := func() (io.ReadCloser, error) { return os.Open(tarPath) }
	m, err := tarball.LoadManifest(opener)
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 1 || !slices.Equal(m[0].RepoTags, []string{ref}) {
		t.Errorf("%s holds %+v, want one image tagged %s", tarPath, m, ref)
	}
	img, err := tarball.ImageFromPath(tarPath, nil)
	if err != nil {
		t.Fatal(err)
	}

	// Config.
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.OS != "linux" || cf.Architecture != "amd64" {
		t.Errorf("platform %s/%s, want linux/amd64", cf.OS, cf.Architecture)
	}
	bin := images.BinDir + "/" + svc
	if !slices.Equal(cf.Config.Entrypoint, []string{bin}) || len(cf.Config.Cmd) != 0 {
		t.Errorf("entrypoint %q cmd %q, want [%s] and no cmd (the chart passes migrate and reencrypt as args)",
			cf.Config.Entrypoint, cf.Config.Cmd, bin)
	}
	uid, gid, ok := strings.Cut(cf.Config.User, ":")
	if u, err := strconv.Atoi(uid); err != nil || !ok || u == 0 || uid != strconv.Itoa(images.UID) || gid != uid {
		t.Errorf("user %q, want the numeric non-root %d:%[2]d (a name cannot be checked by runAsNonRoot)", cf.Config.User, images.UID)
	}
	if cf.Config.Labels["org.opencontainers.image.title"] != svc ||
		cf.Config.Labels["org.opencontainers.image.version"] != ref[strings.LastIndex(ref, ":")+1:] {
		t.Errorf("labels %v", cf.Config.Labels)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 2 {
		t.Fatalf("%d layers, want the base and the binary", len(layers))
	}
	baseDigest, err := layers[0].Digest()
	if err != nil {
		t.Fatal(err)
	}
	base(baseDigest)

	// Files.
	rootfs, err := os.MkdirTemp("", "gongjian-image-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(rootfs) })
	// The root directory of a container is 0755 (MkdirTemp makes 0700).
	if err := os.Chmod(rootfs, 0o755); err != nil {
		t.Fatal(err)
	}
	files := unpack(t, img, rootfs)
	checkFiles(t, files, rootfs, svc)

	// The binary starts, and in the image's own file system as its user.
	checkStarts(t, rootfs, svc)
	if svc == "gateway" {
		checkGatewayServes(t, rootfs)
	}
}

// unpack writes the image's file system under dir and returns its headers
// by path (without the leading slash).
func unpack(t *testing.T, img v1.Image, dir string) map[string]*tar.Header {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	files := map[string]*tar.Header{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(path.Clean(strings.TrimPrefix(h.Name, "/")), "/")
		if name == ".." || strings.HasPrefix(name, "../") {
			t.Fatalf("entry %q leaves the root", h.Name)
		}
		files[name] = h
		target := filepath.Join(dir, filepath.FromSlash(name))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				t.Fatal(err)
			}
			// The modes as in the image, so that the user's run below
			// meets the same permissions as in a pod.
			if err := os.Chmod(target, h.FileInfo().Mode()); err != nil {
				t.Fatal(err)
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				t.Fatal(err)
			}
			f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, h.FileInfo().Mode())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(f, tr); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
		default:
			// A symlink could be a shell by another name; a device has no
			// business in an image.
			t.Errorf("%s: tar type %q; the image holds only files and directories", name, h.Typeflag)
		}
	}
	return files
}

func checkFiles(t *testing.T, files map[string]*tar.Header, rootfs, svc string) {
	t.Helper()
	bin := strings.TrimPrefix(images.BinDir, "/") + "/" + svc
	shells := []string{"sh", "bash", "ash", "dash", "zsh", "busybox", "toybox"}
	for name, h := range files {
		if slices.Contains(shells, path.Base(name)) || name == "bin" || name == "sbin" {
			t.Errorf("the image holds %s: it must have no shell", name)
		}
		if h.Typeflag == tar.TypeReg && h.Mode&0o111 != 0 && name != bin {
			t.Errorf("%s is executable; the only program is %s", name, bin)
		}
		if name != "home/nonroot" && (h.Uid != 0 || h.Gid != 0) {
			t.Errorf("%s is owned by %d:%d, want root", name, h.Uid, h.Gid)
		}
		if name != "tmp" && h.Mode&0o022 != 0 {
			t.Errorf("%s has mode %o: writable by others than root", name, h.Mode)
		}
	}
	for _, want := range []string{bin, "etc/passwd", "etc/group", "tmp", "home/nonroot"} {
		if files[want] == nil {
			t.Errorf("no /%s", want)
		}
	}
	if h := files["home/nonroot"]; h != nil && (h.Uid != images.UID || h.Gid != images.UID) {
		t.Errorf("/home/nonroot owned by %d:%d", h.Uid, h.Gid)
	}

	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(rootfs, name))
		if err != nil {
			t.Error(err)
		}
		return b
	}
	if !bytes.Contains(read("etc/passwd"), []byte("\nnonroot:x:65532:65532:")) ||
		!bytes.Contains(read("etc/group"), []byte("\nnonroot:x:65532:")) {
		t.Error("/etc/passwd or /etc/group has no nonroot 65532")
	}

	// CA roots: a PEM bundle of CA certificates that Go's TLS will load.
	pemData := read(images.CACerts)
	n := 0
	for block, rest := pem.Decode(pemData); block != nil; block, rest = pem.Decode(rest) {
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatalf("%s: %v", images.CACerts, err)
		}
		if !c.IsCA {
			t.Errorf("%s holds %s, not a CA", images.CACerts, c.Subject)
		}
		n++
	}
	if n < 100 {
		t.Errorf("%s holds %d roots", images.CACerts, n)
	}

	// Time zones: the chart's default city zone and UTC, readable as TZif.
	for _, zone := range []string{"Asia/Shanghai", "UTC"} {
		data := read(images.ZoneInfo + "/" + zone)
		if data == nil {
			continue
		}
		loc, err := time.LoadLocationFromTZData(zone, data)
		if err != nil {
			t.Errorf("zoneinfo %s: %v", zone, err)
			continue
		}
		if _, off := time.Date(2026, 7, 1, 0, 0, 0, 0, loc).Zone(); zone == "Asia/Shanghai" && off != 8*3600 {
			t.Errorf("Asia/Shanghai is UTC%+d", off/3600)
		}
	}

	// The binary: a static x86-64 ELF (no program interpreter, no shared
	// libraries), so it needs nothing else from the image.
	f, err := elf.Open(filepath.Join(rootfs, bin))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != elf.EM_X86_64 || f.Type != elf.ET_EXEC {
		t.Errorf("/%s is %v %v, want an x86-64 executable", bin, f.Machine, f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("/%s is dynamically linked (%v)", bin, p.Type)
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) != 0 {
		t.Errorf("/%s needs %v (%v)", bin, libs, err)
	}
}

// command runs the image's binary as a pod would: as root (the test's
// usual case on the build machines) it is chrooted into the unpacked file
// system as 65532:65532 with nothing but the given environment, so it
// meets the image's files and permissions only; otherwise it runs from
// the unpacked file system as the current user.
func command(ctx context.Context, rootfs, svc string, env ...string) *exec.Cmd {
	bin := images.BinDir + "/" + svc
	if os.Geteuid() != 0 {
		cmd := exec.CommandContext(ctx, filepath.Join(rootfs, filepath.FromSlash(bin)))
		cmd.Env = env
		return cmd
	}
	cmd := exec.CommandContext(ctx, bin)
	cmd.Path = bin // resolved inside the chroot, not on this machine
	cmd.Env = append([]string{"PATH=" + images.BinDir}, env...)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Chroot:     rootfs,
		Credential: &syscall.Credential{Uid: images.UID, Gid: images.UID},
	}
	return cmd
}

// logLine is a line of a service's JSON log.
type logLine struct {
	Level   string `json:"level"`
	Msg     string `json:"msg"`
	Service string `json:"service"`
	Error   string `json:"error"`
	Addr    string `json:"addr"`
}

// checkStarts runs the binary with a configuration it must refuse: it
// starts, reads its environment, logs the refusal as JSON quoting the
// bad value, and exits 1.
func checkStarts(t *testing.T, rootfs, svc string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := command(ctx, rootfs, svc, "SHUTDOWN_TIMEOUT=not-a-duration")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("%s with a bad SHUTDOWN_TIMEOUT: %v, want exit status 1; stderr:\n%s", svc, err, stderr.String())
	}
	var found bool
	for line := range strings.Lines(stderr.String()) {
		var l logLine
		if json.Unmarshal([]byte(line), &l) == nil && l.Msg == "exiting" && l.Service == svc &&
			strings.Contains(l.Error, "not-a-duration") {
			found = true
		}
	}
	if !found {
		t.Errorf("%s did not log its refusal of SHUTDOWN_TIMEOUT as JSON; stderr:\n%s", svc, stderr.String())
	}
}

// checkGatewayServes runs the gateway from the image with a backend that
// is not there: it listens, answers /healthz (ready, "degraded") naming the backend,
// and stops cleanly on SIGTERM.
func checkGatewayServes(t *testing.T, rootfs string) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	nobody := lis.Addr().String()
	lis.Close()

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := command(ctx, rootfs, "gateway", "HTTP_ADDR=127.0.0.1:0", "ORGANISATION_ADDR="+nobody, "SHUTDOWN_TIMEOUT=5s")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stderr)
	var addr string
	var log strings.Builder
	for addr == "" && lines.Scan() {
		fmt.Fprintln(&log, lines.Text())
		var l logLine
		if json.Unmarshal(lines.Bytes(), &l) == nil && l.Msg == "http listening" {
			addr = l.Addr
		}
	}
	if addr == "" {
		_ = cmd.Wait()
		t.Fatalf("the gateway never listened; stderr:\n%s", log.String())
	}

	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var report struct {
		Status   string            `json:"status"`
		Backends map[string]string `json:"backends"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &report) != nil ||
		report.Backends["organisation"] != "UNAVAILABLE" {
		t.Errorf("/healthz with no backend: %d %s, want 200 naming organisation UNAVAILABLE", resp.StatusCode, body)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	var stopped bool
	for lines.Scan() {
		fmt.Fprintln(&log, lines.Text())
		var l logLine
		if json.Unmarshal(lines.Bytes(), &l) == nil && l.Msg == "stopped" {
			stopped = true
		}
	}
	if err := cmd.Wait(); err != nil || !stopped {
		t.Errorf("the gateway on SIGTERM: %v, stopped logged: %v; stderr:\n%s", err, stopped, log.String())
	}
}

// TestReproducible builds one image twice: the same sources give the same
// digest (no clock, no build path, no random order in the layers), so an
// image can be rebuilt and compared with the one in the registry.
func TestReproducible(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	var digests []v1.Hash
	for range 2 {
		res, err := images.Build(t.Context(), images.Options{Root: root, Out: t.TempDir()}, "gateway")
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, res[0].Digest)
	}
	if digests[0] != digests[1] {
		t.Errorf("two builds of the same sources: %s and %s", digests[0], digests[1])
	}
}
