package blobxfer

import "errors"

// ErrNotHeld is returned when no peer asked holds the blob, or holds
// more of it than this node.
var ErrNotHeld = errors.New("blob not held by the peers asked")

// ErrBadPeer is returned when a peer sends what a correct peer never
// sends: a manifest or chunk that does not match the blob id, a frame out
// of order or malformed.
var ErrBadPeer = errors.New("peer sent invalid blob data")

// ErrRefused is returned when a peer refuses a request: its quota for us
// is spent, or it does not admit us.
var ErrRefused = errors.New("peer refused the blob request")

// ErrQuota is returned when our own daily quota for fetching from a peer,
// or the caller's size limit, would be exceeded.
var ErrQuota = errors.New("blob fetch limit reached")
