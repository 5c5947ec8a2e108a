// Package console prints what the local system says, one line per event, each
// prefixed with who said it: the launcher, PostgreSQL, the build, or a
// service. The services log JSON, which is what a log collector wants; a
// developer watching a terminal wants text, so their lines are rewritten.
package console

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Console writes prefixed lines to one writer, whole lines at a time, so that
// the output of concurrent sources never interleaves inside a line.
type Console struct {
	mu    sync.Mutex
	w     io.Writer
	width int
}

// New returns a console writing to w; sources are padded to width characters.
func New(w io.Writer, width int) *Console {
	return &Console{w: w, width: width}
}

// Line prints one line from source, with JSON log records rewritten as text.
func (c *Console) Line(source, line string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintf(c.w, "%s %-*s | %s\n", time.Now().Format("15:04:05"), c.width, source, Humanize(line))
}

// Printf prints a formatted line from source.
func (c *Console) Printf(source, format string, args ...any) {
	c.Line(source, fmt.Sprintf(format, args...))
}

// Plain prints text as it is, without time or prefix: the banner.
func (c *Console) Plain(text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	io.WriteString(c.w, text)
}

// Writer returns a writer whose lines are printed as coming from source. A
// final line without a newline is printed by Close.
func (c *Console) Writer(source string) io.WriteCloser {
	return &lineWriter{emit: func(line string) { c.Line(source, line) }}
}

// Logger returns a logger printing as source, in the same words as the
// services' rewritten lines, without the time every line already carries.
func (c *Console) Logger(source string) *slog.Logger {
	h := slog.NewJSONHandler(c.Writer(source), &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	})
	return slog.New(h)
}

// lineWriter cuts what is written into lines.
type lineWriter struct {
	mu   sync.Mutex
	buf  []byte
	emit func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.emit(strings.TrimRight(string(w.buf[:i]), "\r"))
		w.buf = w.buf[i+1:]
	}
}

func (w *lineWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.emit(string(w.buf))
		w.buf = nil
	}
	return nil
}
