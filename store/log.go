package store

import (
	"fmt"
	"log/slog"
	"strings"
)

// badgerLogger bridges Badger's printf logger to slog. Only warnings and
// errors get through: Badger's info and debug output is chatter about
// compactions and table counts.
type badgerLogger struct{ log *slog.Logger }

func newBadgerLogger(l *slog.Logger) badgerLogger {
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	return badgerLogger{log: l.With("component", "store", "src", "badger")}
}

func (l badgerLogger) Errorf(f string, a ...any) { l.log.Error(line(f, a)) }

func (l badgerLogger) Warningf(f string, a ...any) { l.log.Warn(line(f, a)) }

func (badgerLogger) Infof(string, ...any) {}

func (badgerLogger) Debugf(string, ...any) {}

func line(f string, a []any) string { return strings.TrimSpace(fmt.Sprintf(f, a...)) }
