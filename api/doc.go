// Package api serves a node's local HTTP API: JSON over HTTP on loopback,
// every route under /api/ guarded by the bearer token that init wrote or by
// a dashboard session, plus an unauthenticated /healthz probe, the web
// dashboard's static pages at / (embedded; they hold no data) and POST
// /signin, which trades a one-time sign-in code for a session cookie (never
// the token). Every route refuses a Host that is not the node's (host.go);
// [ServerConfig.Serve] caps connections so that clients without the token
// cannot starve those with it (connlimit.go). The kpnode CLI is a client of
// this API; docs/api.md documents every route.
//
// Errors are JSON objects {"error": {"code", "message", "fields"}} with a
// stable machine code and a user-safe message; causes that are not the
// caller's fault are logged, not returned.
//
// A [Handler] is safe for concurrent use. Beyond the [Backend] it serves it
// owns the outstanding sign-in codes and the dashboard sessions (in memory:
// they end with the process) and the event streams' slots.
package api
