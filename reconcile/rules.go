package reconcile

import "slices"

// RuleInfo describes one cross-check.
type RuleInfo struct {
	ID       string   `json:"id"`       // "R1"
	Name     string   `json:"name"`     // "certificate-confirmation-match"
	Severity Severity `json:"severity"` // the usual severity; some findings escalate or are milder
	Doc      string   `json:"doc"`      // one line
}

// Rule ids, in the order of shared/DOMAIN.md, then R13.
const (
	ruleMatch       = 0
	ruleUnconfirmed = 1
	ruleUnknown     = 2
	ruleDuplicate   = 3
	ruleEligibility = 4
	ruleDates       = 5
	ruleArithmetic  = 6
	ruleUnitValue   = 7
	ruleMirror      = 8
	ruleCertStats   = 9
	rulePeriods     = 10
	ruleProduction  = 11
	ruleAuthor      = 12
)

var ruleTable = [...]RuleInfo{
	{"R1", "certificate-confirmation-match", Critical,
		"a certificate and its import confirmation (or pre-notification) disagree on parcels, parties or carats beyond tolerance, or the inspection failed"},
	{"R2", "unconfirmed-shipment", Warning,
		"a certificate has no import confirmation unconfirmed_days after issue (critical after escalate_days), or was confirmed only after it expired"},
	{"R3", "unknown-certificate", Critical,
		"a confirmation or pre-notification cites a number the issuer never recorded, or one outside its pattern or yearly range: possible forgery"},
	{"R4", "duplicate-certificate", Critical,
		"the same (issuer, number) was imported twice, into two participants, or recorded with different data"},
	{"R5", "eligibility", Critical,
		"issuer, destination or origin not an active participant on the issue date, or the origin under enhanced vigilance (warning)"},
	{"R6", "dates", Warning,
		"dates out of order: issued ≤ received ≤ expires for confirmations, issued ≤ shipped ≤ expires for pre-notifications"},
	{"R7", "arithmetic-classification", Warning,
		"certificate totals differ from the sums of the lines, or an industrial line is priced like gem quality or the reverse"},
	{"R8", "unit-value-outlier", Warning,
		"a line's USD/ct is outside ×1/3 … ×3 of the reference median for its origin and HS code, or beyond a robust z-score of 3"},
	{"R9", "mirror-statistics", Warning,
		"A's exports to B and B's imports from A differ beyond 20 % in a quarter or 5 % carats / 10 % value in a year, each measure on its own; a one-quarter lag is shown as a possible explanation, never compared instead"},
	{"R10", "certificates-vs-statistics", Warning,
		"the certificates of a partner, quarter and HS code (for imports, those confirmed) do not add up to the statistics reported for them (residual above 1 %)"},
	{"R11", "period-over-period", Info,
		"a statistics figure changed beyond ±50 % quarter on quarter (info), or a participant's statistics or annual reports are missing after their due date and grace (warning, one per obligation)"},
	{"R12", "production-vs-exports", Warning,
		"a producer exported more of its own origin in a half-year than it produced plus plausible stock"},
	{"R13", "foreign-author", Critical,
		"a partner's feed holds a record written in another authority's name (a certificate's or pre-notification's issuer, a statistics reporter, a fraud notice's detecting authority): kept as evidence, never reconciled"},
}

// Rules returns the thirteen checks in order: the twelve cross-checks
// of shared/DOMAIN.md and R13, records written in another's name.
func Rules() []RuleInfo { return slices.Clone(ruleTable[:]) }

// newFinding starts a finding of rule r with the rule's usual severity.
func newFinding(r int, id, partner string) Finding {
	info := &ruleTable[r]
	return Finding{ID: info.ID + "/" + id, Rule: info.ID, RuleName: info.Name, Severity: info.Severity, Partner: partner,
		Records: []RecordRef{}, Numbers: map[string]string{}}
}
