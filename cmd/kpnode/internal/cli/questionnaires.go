package cli

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/kpnode/kpnode/api"
	"github.com/kpnode/kpnode/reconcile"
)

const questionnairesSynopsis = "[--json] | accept ANSWER"

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
	accept := len(pos) > 0 && pos[0] == "accept"
	switch {
	case accept && len(pos) != 2:
		return usageErrorf("questionnaires accept needs one answer, FEED/SEQ such as BE/9 (kpnode questionnaires lists them)")
	case !accept && len(pos) > 0:
		return usageErrorf("questionnaires: unexpected %q", strings.Join(pos, " "))
	}
	c, err := e.client(*homeFlag)
	if err != nil {
		return err
	}
	if accept {
		return acceptAnswer(e, c, pos[1])
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
		rates = append(rates, []string{r.Partner, strconv.Itoa(r.Asked), strconv.Itoa(r.Answered), strconv.Itoa(r.Closed),
			strconv.Itoa(r.Overdue), strconv.Itoa(r.Pending), r.RatePct + " %"})
	}
	if err := table(e.Out, []string{"PARTNER", "ASKED", "ANSWERED", "CLOSED", "OVERDUE", "PENDING", "RESPONSE RATE"}, rates); err != nil {
		return err
	}
	fmt.Fprintln(e.Out)
	return table(e.Out, []string{"REFERENCE", "PERIOD", "DUE", "PARTNER", "STATUS", "ANSWER"}, queryRows(q))
}

// acceptAnswer accepts a partner's answer: its questionnaire closes.
func acceptAnswer(e *env, c *client, id string) error {
	body, err := json.Marshal(api.AcceptAnswerRequest{Answer: id})
	if err != nil {
		return err
	}
	var q reconcile.QueryStatus
	if err := c.do(e, "POST", "/api/questionnaires/accept", body, &q); err != nil {
		return err
	}
	fmt.Fprintf(e.Out, "Accepted answer %s to %s: the questionnaire is closed", id, q.Reference)
	if q.Finding != "" {
		fmt.Fprintf(e.Out, ", and finding %s with it", q.Finding)
	}
	fmt.Fprintln(e.Out, ".")
	return nil
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
			case r.Accepted != nil:
				status += " " + r.Accepted.At.UTC().Format("2006-01-02") + " by " + r.Accepted.Actor
			case !r.Answered.IsZero():
				status += " " + r.Answered.UTC().Format("2006-01-02")
			}
			answer := "-"
			if r.Answer != nil {
				answer = r.Answer.Feed + "/" + strconv.FormatUint(r.Answer.Seq, 10)
			}
			rows = append(rows, []string{x.Reference, x.Period, x.Due.String(), r.Partner, status, answer})
		}
	}
	return rows
}
