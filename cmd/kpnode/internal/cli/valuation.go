package cli

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"

	"github.com/kpnode/kpnode/node"
)

const valuationSynopsis = "show [--json] | import FILE|- [--dry-run] [--json] | reset [--json]"

// runValuation shows, loads or drops the unit-value table of rule R8: the
// built-in national averages, with the operator's valuation table (the
// WGDE's Valuation Data Matrix) laid over them.
func runValuation(e *env, args []string) error {
	fs, homeFlag := e.newFlags("valuation", valuationSynopsis)
	dry := fs.Bool("dry-run", false, "import: only check the file, change nothing")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageErrorf("valuation needs show, import FILE or reset (kpnode valuation %s)", valuationSynopsis)
	}
	switch {
	case pos[0] == "show" && len(pos) == 1:
	case pos[0] == "import" && len(pos) == 2:
	case pos[0] == "reset" && len(pos) == 1:
	case pos[0] == "import":
		return usageErrorf("valuation import needs one FILE (or - for standard input)")
	default:
		return usageErrorf("valuation: unexpected %q (want: kpnode valuation %s)", pos[0], valuationSynopsis)
	}
	if *dry && pos[0] != "import" {
		return usageErrorf("valuation %s: --dry-run goes with import only", pos[0])
	}
	var body []byte
	if pos[0] == "import" {
		if body, err = e.readInput(pos[1], node.MaxValuationBytes); err != nil {
			return err
		}
	}
	c, err := e.client(*homeFlag)
	if err != nil {
		return err
	}
	switch pos[0] {
	case "show":
		return showValuation(e, c, *asJSON)
	case "import":
		return importValuation(e, c, pos[1], body, *dry, *asJSON)
	}
	var res node.ValuationResult
	if err := c.do(e, "DELETE", "/api/valuation", nil, &res); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.Out, res)
	}
	if res.File == "" {
		fmt.Fprintln(e.Out, "No valuation table was loaded: the built-in table is in use.")
	} else {
		fmt.Fprintf(e.Out, "Dropped the valuation table %s: the built-in table is in use.\n", res.File)
	}
	printFindingsMoved(e, res)
	return nil
}

func showValuation(e *env, c *client, asJSON bool) error {
	var t node.ValuationTable
	if err := c.do(e, "GET", "/api/valuation", nil, &t); err != nil {
		return err
	}
	if asJSON {
		return printJSON(e.Out, t)
	}
	from := "built-in"
	if op := t.Operator; op != nil {
		fmt.Fprintf(e.Out, "Valuation table %s (sha256 %.12s…, %d rows) loaded %s by %s, over the built-in table.\n\n",
			op.File, op.SHA256, op.Rows, stamp(op.Loaded), op.By)
		from = fmt.Sprintf("%s, %s", op.File, stamp(op.Loaded))
	} else {
		fmt.Fprint(e.Out, "The built-in table (national all-quality averages) is in use; no valuation table is loaded.\n\n")
	}
	rows := make([][]string, 0, len(t.Rows))
	for _, r := range t.Rows {
		table := "default"
		if r.Table == node.TableOperator {
			table = "loaded (" + from + ")"
		}
		rows = append(rows, []string{r.Origin, r.HSCode, strconv.Itoa(r.Year), r.USDPerCarat.String(), orDash(r.Source), table})
	}
	return table(e.Out, []string{"ORIGIN", "HS CODE", "YEAR", "USD/CT", "SOURCE", "TABLE"}, rows)
}

func importValuation(e *env, c *client, name string, body []byte, dry, asJSON bool) error {
	q := url.Values{"file": {filepath.Base(name)}}
	if name == "-" {
		q.Set("file", "stdin")
	}
	if dry {
		q.Set("dry_run", "true")
	}
	var res node.ValuationResult
	if err := c.upload(e, "/api/valuation?"+q.Encode(), body, &res); err != nil {
		return err
	}
	if asJSON {
		return printJSON(e.Out, res)
	}
	if res.DryRun {
		fmt.Fprintf(e.Out, "Checked (dry run, nothing changed) %s: %d rows, %d replacing built-in rows\n", res.File, res.Rows, res.Replaced)
		return nil
	}
	fmt.Fprintf(e.Out, "Loaded valuation table %s: %d rows, %d replacing built-in rows; R8 uses it now\n", res.File, res.Rows, res.Replaced)
	printFindingsMoved(e, res)
	return nil
}

func printFindingsMoved(e *env, res node.ValuationResult) {
	fmt.Fprintf(e.Out, "Findings: %d raised or changed, %d cleared (kpnode findings --rule R8)\n", res.Raised, res.Cleared)
}
