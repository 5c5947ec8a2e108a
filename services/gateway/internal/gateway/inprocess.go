package gateway

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
)

// recorder keeps the answer of a request the gateway sends to its own API
// handler, in process: the dev sign-in's organisation picker and the
// exports read the API exactly as a client would, with its routes,
// filters, errors and access checks, without a network round trip.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.body.Write(b)
}

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}

// getInProcess sends GET path?query to h with the bearer token and returns
// the recorded answer.
func getInProcess(ctx context.Context, h http.Handler, path string, query url.Values, token string) (*recorder, error) {
	u := &url.URL{Path: path, RawQuery: query.Encode()}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.RequestURI = u.RequestURI()
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Accept", "application/json")
	rec := &recorder{header: http.Header{}}
	h.ServeHTTP(rec, req)
	if rec.code == 0 {
		rec.code = http.StatusOK
	}
	return rec, nil
}
