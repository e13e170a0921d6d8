package node

import "errors"

// ErrInvalidRecord is returned by [Node.Publish] when the record fails its
// type's validator; the wrapped error is a *protocol.ValidationError.
var ErrInvalidRecord = errors.New("invalid record")

// ErrUnknownPartner is returned when a participant code names no pinned
// partner.
var ErrUnknownPartner = errors.New("not a pinned partner")

// ErrUnknownParticipant is returned when a code is not in the participant
// list.
var ErrUnknownParticipant = errors.New("unknown participant code")

// ErrInvalidCard is returned by [Node.AddPartner] when the card does not
// parse, does not verify, or names this node itself.
var ErrInvalidCard = errors.New("invalid partner card")

// ErrHomeExists is returned by [InitHome] when the home directory already
// holds a node.
var ErrHomeExists = errors.New("home already initialised")

// ErrHomeLocked is returned by [Home.Lock] when another process runs a node
// on the same home.
var ErrHomeLocked = errors.New("home is in use by another kpnode")

// ErrNotInitialised is returned by [OpenHome] when the directory holds no
// node.
var ErrNotInitialised = errors.New("home is not initialised")

// ErrBadConfig is returned when the configuration file or an override is
// invalid; the message names the field.
var ErrBadConfig = errors.New("bad configuration")

// ErrInvalidAddr is returned by [Node.SetPartnerAddrs] when an address is
// not a multiaddr this node can dial, or names another peer than the
// partner; the message quotes the address.
var ErrInvalidAddr = errors.New("invalid partner address")

// ErrInvalidRequest is returned when an operator's request is malformed
// (a note too long, an acknowledgement of something that is not a
// notice); the message says what is wrong.
var ErrInvalidRequest = errors.New("invalid request")

// ErrInboxChanging is returned by [Node.Inbox] when the pinned partners
// changed again and again while the inbox was being read.
var ErrInboxChanging = errors.New("partners changed while the inbox was read")
