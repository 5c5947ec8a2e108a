package gateway

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

// consoleFile is one file of the built console, held in memory with its
// gzip form: the whole console is a few hundred kilobytes.
type consoleFile struct {
	body, gzipped []byte
	contentType   string
	etag          string
}

// consoleHandler serves the single-page console: its hashed assets for a
// year (their names change with their content), index.html never from a
// cache without asking (so that a new release is picked up at once), and
// index.html for every other path without a file extension, so that the
// console's own routes (/members/…) survive a reload.
type consoleHandler struct {
	files map[string]*consoleFile // by path without the leading slash
	index *consoleFile
	start time.Time
}

// newConsoleHandler reads the built console from fsys.
func newConsoleHandler(fsys fs.FS) (*consoleHandler, error) {
	h := &consoleHandler{files: map[string]*consoleFile{}, start: time.Now()}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		h.files[p] = newConsoleFile(p, body)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("console files: %w", err)
	}
	if h.index = h.files["index.html"]; h.index == nil {
		return nil, fmt.Errorf("console files: no index.html")
	}
	return h, nil
}

func newConsoleFile(p string, body []byte) *consoleFile {
	f := &consoleFile{body: body, contentType: mime.TypeByExtension(path.Ext(p))}
	if f.contentType == "" {
		f.contentType = http.DetectContentType(body)
	}
	f.etag = fmt.Sprintf(`"%x"`, fnv64(body))
	if compressible(f.contentType) && len(body) > 512 {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		_, _ = zw.Write(body)
		_ = zw.Close()
		if b.Len() < len(body) {
			f.gzipped = b.Bytes()
		}
	}
	return f
}

func compressible(contentType string) bool {
	for _, p := range []string{"text/", "application/javascript", "application/json", "image/svg"} {
		if strings.HasPrefix(contentType, p) {
			return true
		}
	}
	return false
}

// fnv64 is the FNV-1a hash of b, for etags.
func fnv64(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

// contentSecurityPolicy lets the console load only its own scripts and
// styles and talk only to its own origin. Element Plus sets inline style
// attributes, hence 'unsafe-inline' for styles only; ECharts draws into a
// canvas and may export it as a data: image.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; object-src 'none'; " +
	"base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

func (h *consoleHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	f, ok := h.files[name]
	switch {
	case ok && name != "index.html":
		if strings.HasPrefix(name, "assets/") {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
	case path.Ext(name) != "" && name != "index.html":
		// A missing file (an old asset, a typo) is a 404, not the console:
		// a script tag must never receive HTML.
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	default:
		f = h.index
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("Content-Security-Policy", contentSecurityPolicy)
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Referrer-Policy", "same-origin")
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Type", f.contentType)
	w.Header().Set("ETag", f.etag)
	w.Header().Add("Vary", "Accept-Encoding")
	body := f.body
	if f.gzipped != nil && acceptsGzip(r) {
		w.Header().Set("Content-Encoding", "gzip")
		body = f.gzipped
	}
	// ServeContent answers If-None-Match with 304 and serves HEAD and ranges.
	http.ServeContent(w, r, "", h.start, bytes.NewReader(body))
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.TrimSpace(q) != "q=0" {
			return true
		}
	}
	return false
}
