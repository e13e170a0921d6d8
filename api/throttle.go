package api

import (
	"sync"
	"time"
)

// Failed sign-ins are throttled per user name and per client address:
// after signinFreeTries failures in a row, each further try waits a lock
// that doubles from signinLockBase up to signinLockMax. With bcrypt at
// cost 12 a guess already costs the node a quarter of a second; the lock
// caps a guesser at a few dozen tries an hour per name, from any number
// of addresses.
const (
	signinFreeTries = 5
	signinLockBase  = 30 * time.Second
	signinLockMax   = 15 * time.Minute
	// maxThrottled bounds the names and addresses remembered; one more
	// forgets the one whose last failure is oldest.
	maxThrottled = 4096
)

// signinThrottle counts failed sign-ins. It is safe for concurrent use.
type signinThrottle struct {
	now   func() time.Time
	mu    sync.Mutex           // guards fails
	fails map[string]*failures // "user:NAME" or "addr:HOST" → its failures
}

type failures struct {
	n     int       // failures in a row
	last  time.Time // the latest
	until time.Time // refused before this
}

func newSigninThrottle(now func() time.Time) *signinThrottle {
	return &signinThrottle{now: now, fails: map[string]*failures{}}
}

// wait is how long keys must wait before their next try (0: now).
func (t *signinThrottle) wait(keys ...string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	var w time.Duration
	for _, k := range keys {
		if f, ok := t.fails[k]; ok && now.Before(f.until) {
			w = max(w, f.until.Sub(now))
		}
	}
	return w
}

// failed counts a failure against every key.
func (t *signinThrottle) failed(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for _, k := range keys {
		f, ok := t.fails[k]
		if !ok {
			t.forgetOldest()
			f = &failures{}
			t.fails[k] = f
		}
		f.n++
		f.last = now
		if f.n >= signinFreeTries {
			f.until = now.Add(min(signinLockMax, signinLockBase<<min(f.n-signinFreeTries, 10)))
		}
	}
}

// succeeded forgets the failures of keys.
func (t *signinThrottle) succeeded(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		delete(t.fails, k)
	}
}

// forgetOldest makes room for one more key; t.mu must be held.
func (t *signinThrottle) forgetOldest() {
	if len(t.fails) < maxThrottled {
		return
	}
	oldest := ""
	for k, f := range t.fails {
		if oldest == "" || f.last.Before(t.fails[oldest].last) {
			oldest = k
		}
	}
	delete(t.fails, oldest)
}
