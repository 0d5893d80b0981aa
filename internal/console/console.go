// Package console is the web console served at /console/: static pages,
// embedded in the binary, that speak to the server only through its public
// HTTP API (the admin API and the rooms API, the latter through
// @stagedoor/client, whose built modules are copied into web/client). It
// holds no state and no credential; the pages keep their console token in
// the tab's sessionStorage and set no cookie.
package console

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/stagedoor/stagedoor/problem"
)

//go:embed web
var files embed.FS

// Web is the console's files, as served below /console/.
var Web = func() fs.FS {
	sub, err := fs.Sub(files, "web")
	if err != nil {
		panic(err)
	}
	return sub
}()

// Policy is the Content-Security-Policy of every console answer: the
// console's own scripts, styles and API only, nothing inline, no frame.
const Policy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Prefix is where the console is served.
const Prefix = "/console/"

// Handler serves the console below Prefix: GET and HEAD of its files, the
// index page for Prefix itself, and a 404 problem for anything else.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", Policy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cache-Control", "no-cache")
		name := strings.TrimPrefix(r.URL.Path, Prefix)
		if name == "" {
			name = "index.html"
		}
		if f, err := fs.Stat(Web, name); err != nil || f.IsDir() || name != path.Clean(name) {
			problem.New(http.StatusNotFound, "not_found", "no console file "+r.URL.Path).Write(w)
			return
		}
		// ServeFileFS sends a path ending in /index.html to its directory:
		// the file is named by name, the path only sets what it compares.
		r2 := r.Clone(r.Context())
		r2.URL.Path = Prefix
		http.ServeFileFS(w, r2, Web, name)
	})
}
