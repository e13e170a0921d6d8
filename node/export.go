package node

import (
	"slices"

	"github.com/kpnode/kpnode/protocol"
)

// ExportFilter selects records to export. Zero fields select everything.
type ExportFilter struct {
	From, To protocol.Date // by the record's own date (issued, shipped, received, period start)
	Partner  string        // the other participant of the record
}

// Export returns the bodies of the current records of type typ this node
// holds, its own and its partners', that match f, in feed order: a record
// corrected or withdrawn since is left out, and a correction says in its
// "supersedes" which record of its feed it replaced. The bodies import
// back as they are.
func (n *Node) Export(typ string, f ExportFilter) ([][]byte, error) {
	held, err := n.currentRecords(typ, nil)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, h := range held {
		date := h.Value.Filed()
		if !f.From.IsZero() && date.Before(f.From) || !f.To.IsZero() && date.After(f.To) {
			continue
		}
		if f.Partner != "" && !slices.Contains(h.Value.Concerns(), f.Partner) {
			continue
		}
		out = append(out, h.Body)
	}
	return out, nil
}
