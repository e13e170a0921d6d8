package cli

import (
	"fmt"
	"text/tabwriter"
)

// stats prints each running member's resources and the network's totals
// (docs/testnet.md, "Resources"): memory from /proc, goroutines and
// connections from /metrics, CPU over --window.
func (t *testnetCmd) stats() error {
	n, err := t.open()
	if err != nil {
		return err
	}
	if t.f.window > 0 && !t.f.asJSON {
		fmt.Fprintf(t.e.Err, "Measuring CPU over %s…\n", t.f.window)
	}
	st, err := n.Stats(t.e.ctx, t.f.window)
	if err != nil {
		return err
	}
	if t.f.asJSON {
		return printJSON(t.e.Out, map[string]any{"window_s": t.f.window.Seconds(), "nodes": st.Nodes})
	}
	w := tabwriter.NewWriter(t.e.Out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "node\tanon MiB\tfile MiB\tPSS MiB\tgoroutines\tconns\tpartners\tfiles\tthreads\tCPU %\t")
	for _, s := range st.Nodes {
		if s.Unreadable != "" {
			fmt.Fprintf(w, "%s\t%s\t\t\t\t\t\t\t\t\t\n", s.Code, s.Unreadable)
			continue
		}
		fmt.Fprintf(w, "%s\t%.1f\t%.1f\t%.1f\t%d\t%d\t%d\t%d\t%d\t%.2f\t\n", s.Code, s.RSSAnonMiB, s.RSSFileMiB, s.PSSMiB,
			s.Goroutines, s.Connections, s.Partners, s.OpenFiles, s.Threads, s.CPUPercent)
	}
	tot := st.Totals()
	fmt.Fprintf(w, "all %d\t%.0f\t%.0f\t%.0f\t%d\t%d\t\t%d\t%d\t%.1f\t\n", tot.Nodes, tot.RSSAnonMiB, tot.RSSFileMiB, tot.PSSMiB,
		tot.Goroutines, tot.Connections, tot.OpenFiles, tot.Threads, tot.CPUPercent)
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(t.e.Out, "Resident: %.0f MiB in all (RSS, the binary's shared pages counted in every process), %.0f MiB proportional (PSS); largest %s %.1f MiB; CPU %.1f %% of one core over %s\n",
		tot.RSSMiB, tot.PSSMiB, tot.Largest.Code, tot.Largest.RSSMiB(), tot.CPUPercent, t.f.window)
	return nil
}
