package trade

import "errors"

// ErrBadOptions is returned by [Generate] when an option is missing, out of
// range or inconsistent. The message names the option, such as "links[2]".
var ErrBadOptions = errors.New("bad trade options")

// ErrBadTruth is returned by [ReadTruth] when a ground-truth file is not
// valid JSON of the expected version, or an expectation in it is malformed.
var ErrBadTruth = errors.New("bad ground truth")
