package staff

import "errors"

var (
	// ErrInvalid is returned when a name, role, password or expiry is
	// malformed; the error names the field.
	ErrInvalid = errors.New("invalid")
	// ErrExists is returned when adding a user or token whose name is
	// taken.
	ErrExists = errors.New("already exists")
	// ErrNotFound is returned for a user or token that does not exist.
	ErrNotFound = errors.New("not found")
	// ErrBadCredentials is returned when a user name and password, or a
	// token, do not match a live account or token. It never says which
	// part was wrong.
	ErrBadCredentials = errors.New("wrong user name or password")
	// ErrLastAdministrator is returned when a change would leave the node
	// with no administrator account while other accounts exist.
	ErrLastAdministrator = errors.New("last administrator")
)
