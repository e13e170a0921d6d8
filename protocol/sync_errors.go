package protocol

import "errors"

// ErrUnknownFrame is returned when a sync frame carries a type byte this
// implementation does not know, or [EncodeFrame] is given a [Frame] that is
// not one of this package's frame types.
var ErrUnknownFrame = errors.New("unknown frame type")
