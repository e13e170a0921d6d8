package api

import (
	"crypto/rand"
	"crypto/sha256"
	"slices"
	"sync"
	"time"

	"github.com/kpnode/kpnode/staff"
)

// Dashboard sessions: a browser that signs in with a user's name and
// password, or trades a one-time sign-in code, gets a session, never an
// API token. The session's secret lives only in an
// HttpOnly cookie; the node keeps its SHA-256, so a memory dump of the
// table does not yield a usable cookie. Sessions live in memory: a daemon
// restart signs every browser out (docs/dashboard.md).
const (
	// SessionIdleTimeout ends a session no request (nor open event stream)
	// has used for this long.
	SessionIdleTimeout = 30 * time.Minute
	// SessionMaxAge ends a session this long after sign-in, used or not.
	SessionMaxAge = 12 * time.Hour
	// MaxSessions bounds the sessions held at once; one more sign-in ends
	// the least recently used.
	MaxSessions = 32
	// sessionCookie names the cookie that carries the session's secret.
	sessionCookie = "kpnode_session"
	// maxAgentLen truncates the User-Agent kept with a session.
	maxAgentLen = 120
)

// Session is what the API lists about a dashboard session: never its
// secret.
type Session struct {
	ID       string    `json:"id"`
	Actor    string    `json:"actor"` // the user signed in, or "node" for a sign-in link
	Created  time.Time `json:"created"`
	LastSeen time.Time `json:"last_seen"`
	Expires  time.Time `json:"expires"` // the earlier of the idle and the absolute expiry
	Remote   string    `json:"remote"`
	Agent    string    `json:"agent"`
}

// session is one signed-in browser. Its fields other than lastSeen never
// change after creation; lastSeen is guarded by sessions.mu.
type session struct {
	key      [32]byte // SHA-256 of the secret: its key in sessions.byHash
	id       string
	who      staff.Principal // who signed in, at which generation of the account
	created  time.Time
	lastSeen time.Time
	remote   string
	agent    string
	ended    chan struct{} // closed when the session is revoked or expires on lookup
}

// sessions holds the dashboard's sessions. It is safe for concurrent use.
type sessions struct {
	now    func() time.Time
	mu     sync.Mutex            // guards byHash and every session's lastSeen
	byHash map[[32]byte]*session // SHA-256 of the secret → session
}

func newSessions(now func() time.Time) *sessions {
	return &sessions{now: now, byHash: map[[32]byte]*session{}}
}

// create starts a session and returns its secret (for the cookie) and its
// listing.
func (s *sessions) create(who staff.Principal, remote, agent string) (string, Session) {
	secret := rand.Text() + rand.Text() // 2 × 128 bits
	if len(agent) > maxAgentLen {
		agent = agent[:maxAgentLen]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.dropExpired(now)
	for len(s.byHash) >= MaxSessions {
		s.endLocked(s.leastRecent())
	}
	key := sha256.Sum256([]byte(secret))
	se := &session{key: key, id: rand.Text()[:12], who: who, created: now, lastSeen: now, remote: remote, agent: agent, ended: make(chan struct{})}
	s.byHash[key] = se
	return secret, se.view()
}

// use returns the live session whose secret this is and marks it used; an
// expired one is ended and not returned.
func (s *sessions) use(secret string) (*session, bool) {
	h := sha256.Sum256([]byte(secret))
	s.mu.Lock()
	defer s.mu.Unlock()
	se, ok := s.byHash[h]
	if !ok {
		return nil, false
	}
	now := s.now()
	if !now.Before(se.expires()) {
		s.endLocked(h)
		return nil, false
	}
	se.lastSeen = now
	return se, true
}

// touch marks a session used (an open event stream keeps it alive) and
// reports whether it is still live.
func (s *sessions) touch(se *session) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-se.ended:
		return false
	default:
	}
	now := s.now()
	if !now.Before(se.expires()) {
		s.endLocked(se.key)
		return false
	}
	se.lastSeen = now
	return true
}

// revoke ends the session with this public id and returns its listing.
func (s *sessions) revoke(id string) (Session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for h, se := range s.byHash {
		if se.id == id {
			v := se.view()
			s.endLocked(h)
			return v, true
		}
	}
	return Session{}, false
}

// revokeUser ends every session of user and returns their listings.
func (s *sessions) revokeUser(user string) []Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Session
	for h, se := range s.byHash {
		if se.who.User == user {
			out = append(out, se.view())
			s.endLocked(h)
		}
	}
	return out
}

// list returns the live sessions, oldest first.
func (s *sessions) list() []Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropExpired(s.now())
	out := make([]Session, 0, len(s.byHash))
	for _, se := range s.byHash {
		out = append(out, se.view())
	}
	slices.SortFunc(out, func(a, b Session) int { return a.Created.Compare(b.Created) })
	return out
}

func (s *sessions) dropExpired(now time.Time) {
	for h, se := range s.byHash {
		if !now.Before(se.expires()) {
			s.endLocked(h)
		}
	}
}

func (s *sessions) leastRecent() [32]byte {
	var first [32]byte
	var oldest *session
	for h, se := range s.byHash {
		if oldest == nil || se.lastSeen.Before(oldest.lastSeen) {
			first, oldest = h, se
		}
	}
	return first
}

// endLocked removes a session and wakes whatever waits on it (its event
// streams). s.mu must be held.
func (s *sessions) endLocked(h [32]byte) {
	if se, ok := s.byHash[h]; ok {
		delete(s.byHash, h)
		close(se.ended)
	}
}

// expires is when the session ends unless used again.
func (se *session) expires() time.Time {
	idle := se.lastSeen.Add(SessionIdleTimeout)
	abs := se.created.Add(SessionMaxAge)
	if idle.Before(abs) {
		return idle
	}
	return abs
}

func (se *session) view() Session {
	return Session{ID: se.id, Actor: se.who.Actor, Created: se.created.UTC(), LastSeen: se.lastSeen.UTC(),
		Expires: se.expires().UTC(), Remote: se.remote, Agent: se.agent}
}
