package reconcile

import "strings"

// feedNames hands out one copy of the names of each feed: its author's
// participant code, its key (Record.FeedKey) and its position in the
// chains (recID.pos). A node gives every record a FeedKey of its own
// (the author's key, made a string for each record); kept as given, each
// record held 32 bytes of key and 48 of position, 8 MB of the daemon's
// heap after an import of 100,000 certificates. The table grows with the
// feeds the State has seen, participants and their rotated keys, and is
// owned by its State.
type feedNames struct {
	byName map[feedKey]*feedName
	last   *feedName // the feed just handed out: records come feed by feed
}

type feedKey struct{ code, key string }

// feedName is the names of one feed.
type feedName struct{ code, key, pos string }

// of returns the names of the feed of participant code with key key.
func (t *feedNames) of(code, key string) *feedName {
	if f := t.last; f != nil && f.code == code && f.key == key {
		return f
	}
	f, ok := t.byName[feedKey{code, key}]
	if !ok {
		f = &feedName{code: strings.Clone(code), key: strings.Clone(key)}
		f.pos = recID{feed: f.code, key: f.key}.pos().Feed
		if t.byName == nil {
			t.byName = map[feedKey]*feedName{}
		}
		t.byName[feedKey{f.code, f.key}] = f
	}
	t.last = f
	return f
}
