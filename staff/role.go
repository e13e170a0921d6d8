package staff

import "fmt"

// Role is what an account or token may do. Roles are ordered: each allows
// everything the one below it allows.
type Role uint8

// The roles, lowest first.
const (
	// Viewer reads: status, partners, records, findings, notices, the
	// audit log, exports.
	Viewer Role = iota + 1
	// Clerk also publishes records, imports files, acknowledges findings
	// and notices and loads the valuation table.
	Clerk
	// Administrator also manages partners, keys and key rotation, staff
	// accounts and tokens, sign-in links, sessions and backups.
	Administrator
)

// Roles lists the roles, lowest first.
var Roles = []Role{Viewer, Clerk, Administrator}

var roleNames = map[Role]string{Viewer: "viewer", Clerk: "clerk", Administrator: "administrator"}

// String returns the role's name ("viewer", "clerk", "administrator").
func (r Role) String() string {
	if s, ok := roleNames[r]; ok {
		return s
	}
	return fmt.Sprintf("role(%d)", uint8(r))
}

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool { _, ok := roleNames[r]; return ok }

// Allows reports whether r may do what need requires.
func (r Role) Allows(need Role) bool { return r.Valid() && need.Valid() && r >= need }

// ParseRole parses a role's name.
func ParseRole(s string) (Role, error) {
	for r, name := range roleNames {
		if s == name {
			return r, nil
		}
	}
	return 0, fmt.Errorf("%w: role %q: want viewer, clerk or administrator", ErrInvalid, s)
}

// MarshalText implements encoding.TextMarshaler.
func (r Role) MarshalText() ([]byte, error) {
	if !r.Valid() {
		return nil, fmt.Errorf("%w: role %d", ErrInvalid, uint8(r))
	}
	return []byte(r.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (r *Role) UnmarshalText(b []byte) error {
	v, err := ParseRole(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}
