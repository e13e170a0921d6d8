package protocol

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// RecordType describes one kind of record body carried in entries.
type RecordType struct {
	// Name is the entry type name, matching [a-z][a-z0-9_]{0,31}.
	Name string
	// Summary is one line for operators, such as "enforcement notice".
	Summary string
	// Validate checks a body strictly and returns nil or an error, usually
	// a *[ValidationError] listing every problem. It must be safe for
	// concurrent use and must not retain body.
	Validate func(body []byte) error
}

// registry holds the record types; mu guards types. Types are added by
// init functions and read afterwards.
var registry struct {
	mu    sync.RWMutex
	types map[string]RecordType
}

// Register adds a record type. It is meant for init functions and panics on
// an invalid name, a nil Validate or a duplicate name.
func Register(t RecordType) {
	if !validTypeName(t.Name) || t.Validate == nil {
		panic(fmt.Sprintf("protocol: register record type %q: invalid name or nil Validate", t.Name))
	}
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if _, dup := registry.types[t.Name]; dup {
		panic(fmt.Sprintf("protocol: register record type %q: already registered", t.Name))
	}
	if registry.types == nil {
		registry.types = map[string]RecordType{}
	}
	registry.types[t.Name] = t
}

// LookupType returns the registered record type name.
func LookupType(name string) (RecordType, bool) {
	registry.mu.RLock()
	defer registry.mu.RUnlock()
	t, ok := registry.types[name]
	return t, ok
}

// Types returns every registered record type sorted by name.
func Types() []RecordType {
	registry.mu.RLock()
	defer registry.mu.RUnlock()
	ts := make([]RecordType, 0, len(registry.types))
	for _, t := range registry.types {
		ts = append(ts, t)
	}
	slices.SortFunc(ts, func(a, b RecordType) int { return strings.Compare(a.Name, b.Name) })
	return ts
}

// ValidateRecord validates body as a record of type typ. It returns an error
// wrapping [ErrUnknownType] for an unregistered type, or the type's
// validation error.
func ValidateRecord(typ string, body []byte) error {
	t, ok := LookupType(typ)
	if !ok {
		return fmt.Errorf("validate record: type %q: %w", truncate(typ, 40), ErrUnknownType)
	}
	return t.Validate(body)
}
