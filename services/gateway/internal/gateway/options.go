package gateway

import (
	"io/fs"
	"net/http"
)

// Option adds a part to the gateway beyond the API.
type Option func(*options)

type options struct {
	console  fs.FS
	sessions *Sessions
	exports  bool
}

// WithConsole serves the built web console in fsys at / (every path the
// API and the gateway's own routes leave).
func WithConsole(fsys fs.FS) Option {
	return func(o *options) { o.console = fsys }
}

// WithSessions lets browsers sign in: the session cookie stands for the
// bearer token on every API call (see Sessions).
func WithSessions(s *Sessions) Option {
	return func(o *options) { o.sessions = s }
}

// WithExports serves the spreadsheet exports of the lists (/v1/exports/…).
func WithExports() Option {
	return func(o *options) { o.exports = true }
}

// apply builds the parts the options name around the router.
func (o *options) apply(rt *router) (http.Handler, error) {
	if o.console != nil {
		h, err := newConsoleHandler(o.console)
		if err != nil {
			return nil, err
		}
		rt.web = h
	}
	if o.exports {
		rt.exports = newExporter(rt.api, rt.log)
	}
	var h http.Handler = rt
	if o.sessions != nil {
		o.sessions.api = rt
		h = o.sessions.wrap(rt)
	}
	return h, nil
}
