package node

import (
	"errors"

	"github.com/kpnode/kpnode/node/internal/roster"
)

// ErrInvalidRecord is returned by [Node.Publish] when the record fails its
// type's validator; the wrapped error is a *protocol.ValidationError.
var ErrInvalidRecord = errors.New("invalid record")

// ErrUnknownPartner is returned when a participant code names no pinned
// partner.
var ErrUnknownPartner = roster.ErrUnknownPartner

// ErrUnknownParticipant is returned when a code is not in the participant
// list.
var ErrUnknownParticipant = roster.ErrUnknownParticipant

// ErrInvalidCard is returned by [Node.AddPartner] when the card does not
// parse, does not verify, or names this node itself.
var ErrInvalidCard = roster.ErrInvalidCard

// ErrBadConfig is returned when the configuration file or an override is
// invalid; the message names the field.
var ErrBadConfig = errors.New("bad configuration")

// ErrInvalidAddr is returned by [Node.SetPartnerAddrs] when an address is
// not a multiaddr this node can dial, or names another peer than the
// partner; the message quotes the address.
var ErrInvalidAddr = roster.ErrInvalidAddr

// ErrInvalidRequest is returned when an operator's request is malformed
// (a note too long, an acknowledgement of something that is not a
// notice); the message says what is wrong.
var ErrInvalidRequest = errors.New("invalid request")

// ErrInboxChanging is returned by [Node.Inbox] when the pinned partners
// changed again and again while the inbox was being read.
var ErrInboxChanging = errors.New("partners changed while the inbox was read")
