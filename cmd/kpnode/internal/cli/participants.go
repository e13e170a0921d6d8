package cli

import (
	"github.com/kpnode/kpnode/protocol"
)

func runParticipants(e *env, args []string) error {
	fs, _ := e.newFlags("participants", "[--json]")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	ps := protocol.Participants()
	if *asJSON {
		return printJSON(e.Out, ps)
	}
	rows := make([][]string, 0, len(ps))
	for _, p := range ps {
		rows = append(rows, []string{p.Code, p.Name, p.Kind})
	}
	return table(e.Out, []string{"CODE", "NAME", "KIND"}, rows)
}
