// Package consoleui holds the web console's built files (services/console,
// built by `make console` into dist/ and committed), so that the gateway
// binary serves the console without Node.js on the machine that runs it.
package consoleui

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Files is the built console: index.html at its root, hashed assets under
// assets/.
func Files() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the directory is embedded above; it cannot be missing
	}
	return sub
}
