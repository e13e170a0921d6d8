package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kpnode/kpnode/reconcile"
)

const questionnairesSynopsis = "[--json]"

// runQuestionnaires prints the anomaly queries this node sent: each
// partner's response rate, then each query and where each partner asked
// stands.
func runQuestionnaires(e *env, args []string) error {
	fs, homeFlag := e.newFlags("questionnaires", questionnairesSynopsis)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf("questionnaires: unexpected %q", strings.Join(pos, " "))
	}
	c, err := e.client(*homeFlag)
	if err != nil {
		return err
	}
	var q reconcile.Questionnaires
	if err := c.do(e, "GET", "/api/questionnaires", nil, &q); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.Out, q)
	}
	if len(q.Queries) == 0 {
		_, err := fmt.Fprintln(e.Out, "This node has asked no questions (kpnode publish --type anomaly_query, or the dashboard's Ask a question).")
		return err
	}
	rates := make([][]string, 0, len(q.Partners))
	for _, r := range q.Partners {
		rates = append(rates, []string{r.Partner, strconv.Itoa(r.Asked), strconv.Itoa(r.Answered), strconv.Itoa(r.Overdue), strconv.Itoa(r.Pending), r.RatePct + " %"})
	}
	if err := table(e.Out, []string{"PARTNER", "ASKED", "ANSWERED", "OVERDUE", "PENDING", "RESPONSE RATE"}, rates); err != nil {
		return err
	}
	fmt.Fprintln(e.Out)
	return table(e.Out, []string{"REFERENCE", "PERIOD", "DUE", "PARTNER", "STATUS"}, queryRows(q))
}

// queryRows returns a row per query and partner asked.
func queryRows(q reconcile.Questionnaires) [][]string {
	var rows [][]string
	for _, x := range q.Queries {
		for _, r := range x.Replies {
			status := strings.ReplaceAll(r.Status, "_", " ")
			switch {
			case r.DaysOverdue > 0:
				status += " " + strconv.Itoa(r.DaysOverdue) + " days"
			case !r.Answered.IsZero():
				status += " " + r.Answered.UTC().Format("2006-01-02")
			}
			rows = append(rows, []string{x.Reference, x.Period, x.Due.String(), r.Partner, status})
		}
	}
	return rows
}
