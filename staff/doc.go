// Package staff keeps a node's staff: named accounts with a role each
// (viewer, clerk, administrator), their bcrypt password hashes, and the API
// tokens issued to a user or a service, with expiry and revocation.
//
// A [Directory] is the single owner of the accounts and tokens of one node.
// It keeps them in the node's store (meta keys under "staff/"), so a backup
// carries them and a restore brings them back, and holds a copy in memory
// that every change updates at once: a removed user, a changed password or
// a revoked token is refused by the very next request, without a restart.
// Every change is appended to the store's audit log, naming its actor, in
// the same transaction as the change.
//
// A Directory is safe for concurrent use. It never keeps a password or a
// token's secret: only a bcrypt hash of a password and the SHA-256 of a
// token. It never logs.
package staff
