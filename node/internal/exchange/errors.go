package exchange

import "errors"

// ErrRelayedForgery is returned by a pull session when the partner serves
// an entry that fails verification: partners store only what they
// verified, so this is never an honest relay's doing.
var ErrRelayedForgery = errors.New("relayed entry fails verification")
