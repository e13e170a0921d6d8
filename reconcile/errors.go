package reconcile

import "errors"

// ErrBadConfig is returned by [Config.Validate] and [NewState] when a
// threshold is missing, out of range or malformed. The message names the
// field by its JSON key, such as "partners.BE.unconfirmed_days".
var ErrBadConfig = errors.New("bad reconcile config")

// ErrUnitValues is returned by [ParseUnitValues] and [LoadUnitValues] when
// the reference table is malformed. The message names the file, the row
// (the header is row 1) and the column.
var ErrUnitValues = errors.New("bad unit values")
