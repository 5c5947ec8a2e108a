package images

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// The users of the image. The services never look a user up; the files
// are there so that tools and runtimes that map 65532 to a name find one.
const (
	passwd = "root:x:0:0:root:/root:/sbin/nologin\n" +
		"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n" +
		"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
	group = "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n"
	// Go's resolver reads it; "files dns" is what a Kubernetes pod expects
	// (its /etc/hosts first).
	nsswitch = "hosts: files dns\n"
)

// entry is one file or directory of a layer.
type entry struct {
	name     string // without a leading slash; directories end in /
	mode     int64
	uid, gid int
	data     []byte
}

// baseLayer is the layer every image shares (same bytes, same digest, so
// a registry stores it once): users, CA roots, zoneinfo and /tmp.
//
// The CA roots are Mozilla's, from the pinned Go module
// golang.org/x/crypto/x509roots/fallback, not the build machine's: every
// machine builds the same image, and updating them is a version bump in
// go.mod. The zoneinfo is the Go toolchain's lib/time/zoneinfo.zip, the
// same data as the time/tzdata the services embed, unpacked where Go (and
// anything else) looks first; it costs about 0.4 MB.
func baseLayer(ctx context.Context, created time.Time) (v1.Layer, error) {
	certs, err := caBundle()
	if err != nil {
		return nil, err
	}
	zones, err := zoneinfo(ctx)
	if err != nil {
		return nil, err
	}
	entries := []entry{
		{name: "etc/", mode: 0o755},
		{name: "etc/passwd", mode: 0o644, data: []byte(passwd)},
		{name: "etc/group", mode: 0o644, data: []byte(group)},
		{name: "etc/nsswitch.conf", mode: 0o644, data: []byte(nsswitch)},
		{name: "etc/ssl/", mode: 0o755},
		{name: "etc/ssl/certs/", mode: 0o755},
		{name: strings.TrimPrefix(CACerts, "/"), mode: 0o644, data: certs},
		{name: "home/", mode: 0o755},
		{name: "home/nonroot/", mode: 0o700, uid: UID, gid: UID},
		{name: "root/", mode: 0o700},
		{name: "tmp/", mode: 0o1777},
		{name: "usr/", mode: 0o755},
		{name: "usr/local/", mode: 0o755},
		{name: "usr/local/bin/", mode: 0o755},
		{name: "usr/share/", mode: 0o755},
	}
	entries = append(entries, zones...)
	return layer(entries, created)
}

// binaryLayer holds the service's binary, owned by root and not writable
// by the user the service runs as.
func binaryLayer(bin, svc string, created time.Time) (v1.Layer, error) {
	data, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	return layer([]entry{
		{name: "usr/", mode: 0o755},
		{name: "usr/local/", mode: 0o755},
		{name: "usr/local/bin/", mode: 0o755},
		{name: strings.TrimPrefix(BinDir, "/") + "/" + svc, mode: 0o755, data: data},
	}, created)
}

// caBundle is the PEM file of Mozilla's server-authentication roots. A
// root Mozilla distrusts after a date (a constraint a PEM file cannot
// carry) is left out rather than trusted without its limit.
func caBundle() ([]byte, error) {
	var buf bytes.Buffer
	n := 0
	for r := range bundle.Roots() {
		if r.Constraint != nil {
			continue
		}
		if err := pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: r.Certificate}); err != nil {
			return nil, err
		}
		n++
	}
	if n < 50 {
		return nil, fmt.Errorf("only %d CA roots in the bundle", n)
	}
	return buf.Bytes(), nil
}

// zoneinfo unpacks the toolchain's zoneinfo.zip under usr/share/zoneinfo.
func zoneinfo(ctx context.Context) ([]entry, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOROOT").Output()
	if err != nil {
		return nil, fmt.Errorf("go env GOROOT: %w", err)
	}
	zipPath := filepath.Join(strings.TrimSpace(string(out)), "lib", "time", "zoneinfo.zip")
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return nil, fmt.Errorf("time-zone data: %w", err)
	}
	defer zr.Close()
	prefix := strings.TrimPrefix(ZoneInfo, "/") + "/"
	dirs := map[string]bool{prefix: true}
	var entries []entry
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		if path.IsAbs(f.Name) || path.Clean(f.Name) != f.Name || strings.HasPrefix(f.Name, "..") {
			return nil, fmt.Errorf("zoneinfo.zip: bad name %q", f.Name)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
		for d := path.Dir(f.Name); d != "."; d = path.Dir(d) {
			dirs[prefix+d+"/"] = true
		}
		entries = append(entries, entry{name: prefix + f.Name, mode: 0o644, data: data})
	}
	if len(entries) < 100 {
		return nil, fmt.Errorf("%s holds only %d zones", zipPath, len(entries))
	}
	for d := range dirs {
		entries = append(entries, entry{name: d, mode: 0o755})
	}
	return entries, nil
}

// layer writes entries as a tar in name order (parents before children),
// every timestamp set to created, and makes it a gzip-compressed layer.
func layer(entries []entry, created time.Time) (v1.Layer, error) {
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{
			Name:    e.name,
			Mode:    e.mode,
			Uid:     e.uid,
			Gid:     e.gid,
			ModTime: created,
		}
		if strings.HasSuffix(e.name, "/") {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag = tar.TypeReg
			h.Size = int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	}, tarball.WithCompressionLevel(gzip.DefaultCompression), tarball.WithCompressedCaching)
}
