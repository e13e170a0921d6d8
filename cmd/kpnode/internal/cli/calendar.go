package cli

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/kpnode/kpnode/reconcile"
)

const calendarSynopsis = "[--partner CODE] [--json]"

// runCalendar prints the submission calendar: per participant and
// obligation, what was received on time or late and what is owed, and
// for how long.
func runCalendar(e *env, args []string) error {
	fs, homeFlag := e.newFlags("calendar", calendarSynopsis)
	partner := fs.String("partner", "", "only this participant (its code, such as BE)")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf("calendar: unexpected %q", strings.Join(pos, " "))
	}
	c, err := e.client(*homeFlag)
	if err != nil {
		return err
	}
	path := "/api/calendar"
	if *partner != "" {
		path += "?partner=" + url.QueryEscape(*partner)
	}
	var cal reconcile.Calendar
	if err := c.do(e, "GET", path, nil, &cal); err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.Out, cal)
	}
	return table(e.Out, []string{"PARTICIPANT", "OBLIGATION", "FROM", "ON TIME", "LATE", "OWED", "DAYS"}, calendarRows(cal))
}

// calendarRows returns a row per participant and obligation: OWED lists
// the periods past their due date and not received (missing, or overdue
// within the grace, marked "*"), DAYS how long the oldest is overdue.
func calendarRows(cal reconcile.Calendar) [][]string {
	var rows [][]string
	for _, p := range cal.Parties {
		code := p.Code
		if p.Self {
			code += " (this node)"
		}
		for _, o := range p.Obligations {
			if o.From == "" {
				rows = append(rows, []string{code, o.Obligation, "-", "-", "-", "nothing owed yet", "-"})
				continue
			}
			onTime, owed, days := 0, []string{}, 0
			for _, ps := range o.Periods {
				switch ps.Status {
				case reconcile.StatusOnTime:
					onTime++
				case reconcile.StatusMissing, reconcile.StatusOverdue:
					name := ps.Period
					if ps.Status == reconcile.StatusOverdue {
						name += "*"
					}
					owed = append(owed, name)
					days = max(days, ps.DaysLate)
				}
			}
			rows = append(rows, []string{code, o.Obligation, o.From, strconv.Itoa(onTime), strconv.Itoa(o.Late),
				orDash(owedText(owed)), orDash(daysText(days))})
		}
	}
	return rows
}

func daysText(d int) string {
	if d == 0 {
		return ""
	}
	return strconv.Itoa(d)
}

// owedText lists the periods owed, the first three and the last of a long
// list: "2023-Q2 2023-Q3 2023-Q4 … 2026-Q3 (14)".
func owedText(owed []string) string {
	if len(owed) <= 4 {
		return strings.Join(owed, " ")
	}
	return strings.Join(owed[:3], " ") + " … " + owed[len(owed)-1] + " (" + strconv.Itoa(len(owed)) + ")"
}
