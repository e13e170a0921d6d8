package reach

import "errors"

// ErrBadAnnounce is returned by [Config.Validate] and [ParseAnnounce] when
// an announce address is not one the node can advertise; the message names
// the address and what is wrong with it.
var ErrBadAnnounce = errors.New("bad announce address")

// ErrPortTaken is returned by [CheckListen] when a listen address's port
// is already bound by another process (a second daemon on the same P2P
// port); the message names the address.
var ErrPortTaken = errors.New("listen port taken")
