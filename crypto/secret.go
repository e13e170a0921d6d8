package crypto

import (
	"fmt"
	"log/slog"
)

// Redacted is what secrets print as, in fmt verbs and in logs.
const Redacted = "[REDACTED]"

// Secret is a byte string that must never be printed or logged: a passphrase
// or an API token. It redacts itself in every fmt verb and in log/slog.
// Use [Secret.Reveal] where the bytes are really needed.
type Secret []byte

// Reveal returns the secret bytes. The caller must not log them.
func (s Secret) Reveal() []byte { return s }

// String returns [Redacted].
func (s Secret) String() string { return Redacted }

// GoString returns [Redacted].
func (s Secret) GoString() string { return Redacted }

// Format writes [Redacted] whatever the verb.
func (s Secret) Format(f fmt.State, _ rune) { fmt.Fprint(f, Redacted) }

// LogValue returns [Redacted] as a string value.
func (s Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }

// MarshalText returns [Redacted], so a Secret put in a JSON document by
// mistake does not leak.
func (s Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }
