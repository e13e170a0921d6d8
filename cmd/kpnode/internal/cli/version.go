package cli

import (
	"fmt"

	"github.com/kpnode/kpnode/internal/buildinfo"
)

// runVersion prints the build's version on the first line ("kpnode
// VERSION", for scripts), then the commit and the platform.
func runVersion(e *env, args []string) error {
	if len(args) > 0 {
		return usageErrorf("version: unexpected %q", args[0])
	}
	fmt.Fprintf(e.Out, "kpnode %s\n", buildinfo.Version())
	if c := buildinfo.Commit(); c != "" {
		fmt.Fprintf(e.Out, "  commit  %s\n", c)
	}
	_, err := fmt.Fprintf(e.Out, "  go      %s\n", buildinfo.Platform())
	return err
}
