package feedsync

import (
	"errors"

	"github.com/kpnode/kpnode/protocol"
)

// ErrProtocol is returned when a partner breaks the sync protocol.
var ErrProtocol = errors.New("sync protocol violation")

// MaxRange is how many entries a Want asks for, and a responder serves,
// per range.
const MaxRange = protocol.WantBatch
