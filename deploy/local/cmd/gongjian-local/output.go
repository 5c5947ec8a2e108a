package main

import (
	"strings"
	"sync/atomic"

	"gongjian.dev/deploy/local/internal/console"
)

// serviceOutput prints the services' lines, less those that would drown the
// rest: successful health checks (the launcher's own probes), and the
// thousands of successful calls the demo makes while it loads, which are
// counted instead.
type serviceOutput struct {
	console *console.Console
	quiet   atomic.Bool
	hidden  atomic.Int64
}

func (o *serviceOutput) line(name, line string) {
	ok := strings.Contains(line, `"msg":"grpc call"`) && strings.Contains(line, `"code":"OK"`)
	if ok && (o.quiet.Load() || strings.Contains(line, "/grpc.health.v1.Health/")) {
		o.hidden.Add(1)
		return
	}
	o.console.Line(name, line)
}

// hush leaves out successful calls until the returned function is called,
// which says how many were left out.
func (o *serviceOutput) hush() (resume func() int64) {
	o.hidden.Store(0)
	o.quiet.Store(true)
	return func() int64 {
		o.quiet.Store(false)
		return o.hidden.Load()
	}
}
