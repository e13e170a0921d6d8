package api

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
)

// The web dashboard: an HTML shell, plain JavaScript modules and CSS,
// embedded in the binary and served without a token (they hold no data;
// every figure comes from /api/ with the browser's session cookie).
// docs/dashboard.md is the user's guide.

//go:embed web
var webFS embed.FS

// dashboardCSP lets the pages load only the node's own scripts, styles and
// images, talk only to the node, and never be framed.
const dashboardCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// dashboard serves the shell page and the static files.
type dashboard struct {
	index  []byte            // the rendered shell
	etags  map[string]string // static path (under web/static) → ETag
	static http.Handler
}

// dashboardRoutes registers the dashboard's pages and the sign-in routes.
// The static files are not API routes and stay out of h.patterns.
func (h *Handler) dashboardRoutes() {
	h.handleAccess("POST /api/signin-links", admin, MaxBodyBytes, tokenOnly, h.signinLink)
	h.handleAccess("GET /api/sessions", admin, MaxBodyBytes, tokenOnly, h.listSessions)
	h.handleAccess("DELETE /api/sessions/{id}", admin, MaxBodyBytes, tokenOnly, h.revokeSession)
	h.handle("POST /signout", view, h.signout)
	h.mux.Handle("POST /signin", secured(http.HandlerFunc(h.signin)))
	h.patterns = append(h.patterns, "POST /signin")
	d, err := newDashboard()
	if err != nil {
		panic(err) // the embedded files are part of the binary: a test catches this
	}
	h.mux.Handle("GET /{$}", secured(http.HandlerFunc(d.serveIndex)))
	h.mux.Handle("GET /static/", secured(http.HandlerFunc(d.serveStatic)))
}

func newDashboard() (*dashboard, error) {
	static, err := fs.Sub(webFS, "web/static")
	if err != nil {
		return nil, fmt.Errorf("dashboard static files: %w", err)
	}
	etags, err := hashFiles(static)
	if err != nil {
		return nil, err
	}
	d := &dashboard{etags: etags, static: http.StripPrefix("/static/", http.FileServerFS(static))}
	if d.index, err = renderIndex(etags); err != nil {
		return nil, err
	}
	return d, nil
}

// renderIndex renders the shell page once; asset URLs carry the file's
// hash so a browser never runs a stale script after an upgrade.
func renderIndex(etags map[string]string) ([]byte, error) {
	funcs := template.FuncMap{"asset": func(name string) (string, error) {
		tag, ok := etags[name]
		if !ok {
			return "", fmt.Errorf("no static file %q", name)
		}
		return "/static/" + name + "?v=" + strings.Trim(tag, `"`), nil
	}}
	t, err := template.New("index.html").Funcs(funcs).ParseFS(webFS, "web/index.html")
	if err != nil {
		return nil, fmt.Errorf("dashboard template: %w", err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, nil); err != nil {
		return nil, fmt.Errorf("render dashboard: %w", err)
	}
	return buf.Bytes(), nil
}

// hashFiles returns a strong ETag for every file of fsys.
func hashFiles(fsys fs.FS) (map[string]string, error) {
	etags := map[string]string{}
	err := fs.WalkDir(fsys, ".", func(path string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		etags[path] = `"` + hex.EncodeToString(sum[:8]) + `"`
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dashboard static files: %w", err)
	}
	return etags, nil
}

func (d *dashboard) serveIndex(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(d.index)
}

// serveStatic serves a static file with its ETag; directories are not
// listed.
func (d *dashboard) serveStatic(w http.ResponseWriter, r *http.Request) {
	tag, ok := d.etags[strings.TrimPrefix(r.URL.Path, "/static/")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("ETag", tag)
	w.Header().Set("Cache-Control", "no-cache")
	d.static.ServeHTTP(w, r)
}

// secured sets the headers that keep the dashboard's pages from being
// framed, sniffed or leaking their address.
func secured(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", dashboardCSP)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}
