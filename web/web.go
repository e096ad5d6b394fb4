// Package web holds chainhound's web console: its sources (src/, bundled
// from the npm packages package-lock.json pins) and the bundle built from
// them (dist/), which is committed so that `go build` needs neither node
// nor esbuild. `go generate ./web` rebuilds dist (web/build).
package web

import (
	"embed"
	"io/fs"
)

//go:generate go run -C build . -web ..

//go:embed dist
var dist embed.FS

// Dist is the built console: index.html, assets/ (named by content
// hash), THIRD_PARTY_NOTICES.txt and SOURCES.sha256.
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // dist is embedded: it is there
	}
	return sub
}
