// Package api serves a node's local HTTP API: JSON over HTTP on loopback,
// every route under /api/ guarded by the bearer token that init wrote, plus
// an unauthenticated /healthz probe, the web dashboard's static pages at /
// (embedded; they hold no data) and POST /signin, which trades a one-time
// sign-in code for the token. The kpnode CLI is a client of this API;
// docs/api.md documents every route.
//
// Errors are JSON objects {"error": {"code", "message", "fields"}} with a
// stable machine code and a user-safe message; causes that are not the
// caller's fault are logged, not returned.
//
// A [Handler] is safe for concurrent use; it holds no state of its own beyond
// the [Backend] it serves.
package api
