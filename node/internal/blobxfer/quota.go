package blobxfer

import (
	"sync"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// quota counts bytes per peer per UTC day against a limit.
type quota struct {
	limit int64
	now   func() time.Time

	mu     sync.Mutex // guards byPeer
	byPeer map[peer.ID]dayCount
}

type dayCount struct {
	day   int64 // days since the epoch, UTC
	bytes int64
}

func newQuota(limit int64, now func() time.Time) *quota {
	return &quota{limit: limit, now: now, byPeer: map[peer.ID]dayCount{}}
}

// take charges n bytes to p and reports whether they fit today's limit;
// bytes that do not fit are not charged.
func (q *quota) take(p peer.ID, n int64) bool {
	day := q.now().UTC().Unix() / 86400
	q.mu.Lock()
	defer q.mu.Unlock()
	c := q.byPeer[p]
	if c.day != day {
		c = dayCount{day: day}
	}
	if c.bytes+n > q.limit {
		return false
	}
	c.bytes += n
	q.byPeer[p] = c
	return true
}
