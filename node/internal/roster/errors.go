package roster

import "errors"

// ErrUnknownPartner is returned when a participant code names no pinned
// partner.
var ErrUnknownPartner = errors.New("not a pinned partner")

// ErrUnknownParticipant is returned when a code is not in the participant
// list.
var ErrUnknownParticipant = errors.New("unknown participant code")

// ErrInvalidCard is returned by [Roster.AddPartner] and
// [Roster.RepinPartner] when the card does not parse, does not verify, or
// names this node itself.
var ErrInvalidCard = errors.New("invalid partner card")

// ErrInvalidAddr is returned by [Roster.SetPartnerAddrs] when an address is
// not a multiaddr this node can dial, or names another peer than the
// partner; the message quotes the address.
var ErrInvalidAddr = errors.New("invalid partner address")
