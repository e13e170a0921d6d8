package protocol

// Record type names of the Data Anomaly Questionnaire.
const (
	AnomalyQueryType  = "anomaly_query"
	AnomalyAnswerType = "anomaly_answer"
)

// AnswerStatuses are the values of AnomalyAnswer.Status. They must not be
// modified.
var AnswerStatuses = []string{"answered", "cannot_answer", "corrected"}

func init() {
	register(AnomalyQueryType, "statistics anomaly query to a partner (Data Anomaly Questionnaire)", (*checker).anomalyQuery)
	register(AnomalyAnswerType, "answer to an anomaly query", (*checker).anomalyAnswer)
}

// AnomalyQuery is the body of an "anomaly_query" record: a question to a
// partner about a figure of a period, to be answered by Due (DOMAIN.md,
// Anomaly query and answer). The partners asked are the entry's audience.
type AnomalyQuery struct {
	Version    int         `json:"version"`   // 1
	Reference  string      `json:"reference"` // the asker's reference, "BE-AQ-2026-0012"
	Period     string      `json:"period"`    // a quarter "2011-Q3" or a half-year "2011-H2"
	Subject    string      `json:"subject"`
	Figure     string      `json:"figure"`   // "exports to BE, 7102.31, carats"
	Observed   string      `json:"observed"` // "+63 % quarter on quarter"
	Due        Date        `json:"due"`
	Question   string      `json:"question"`
	Rule       string      `json:"rule,omitempty"`    // id of the reconciliation rule that raised it
	Finding    string      `json:"finding,omitempty"` // id of the finding that raised it
	Supersedes *Supersedes `json:"supersedes,omitempty"`
}

// AnomalyAnswer is the body of an "anomaly_answer" record: the answer to
// the query at Query.
type AnomalyAnswer struct {
	Version    int         `json:"version"` // 1
	Query      EntryRef    `json:"query"`   // the query's feed (the asker's code) and seq
	Answer     string      `json:"answer"`
	Status     string      `json:"status"` // see [AnswerStatuses]
	Supersedes *Supersedes `json:"supersedes,omitempty"`
}

// ParseAnomalyQuery decodes and strictly validates an anomaly query body,
// reporting every problem in a *[ValidationError]. On error the query is
// nil.
func ParseAnomalyQuery(body []byte) (*AnomalyQuery, error) {
	return parseBody(AnomalyQueryType, body, (*checker).anomalyQuery)
}

// ParseAnomalyAnswer decodes and strictly validates an anomaly answer body,
// reporting every problem in a *[ValidationError]. On error the answer is
// nil.
func ParseAnomalyAnswer(body []byte) (*AnomalyAnswer, error) {
	return parseBody(AnomalyAnswerType, body, (*checker).anomalyAnswer)
}

const identifierWant = `an identifier of letters, digits and . _ / -, such as "IN-N-2026-0007"`

func (c *checker) anomalyQuery(o *object) *AnomalyQuery {
	if o == nil || !o.version() {
		return nil
	}
	q := &AnomalyQuery{Version: 1}
	q.Reference = o.pattern("reference", true, 64, `a reference such as "BE-AQ-2026-0012"`, isReference)
	q.Period = o.pattern("period", true, 64, `a quarter "2011-Q3" or a half-year "2011-H2"`, validPeriod)
	q.Subject = o.str("subject", true, 200)
	q.Figure = o.str("figure", true, 200)
	q.Observed = o.str("observed", true, 200)
	q.Due = o.date("due", true)
	q.Question = o.text("question", true, 4000)
	q.Rule = o.pattern("rule", false, 64, identifierWant, isReference)
	q.Finding = o.pattern("finding", false, 128, identifierWant, isReference)
	q.Supersedes = o.supersedes()
	o.done()
	return q
}

func (c *checker) anomalyAnswer(o *object) *AnomalyAnswer {
	if o == nil || !o.version() {
		return nil
	}
	a := &AnomalyAnswer{Version: 1}
	a.Query = entryRef(o.obj("query", true))
	a.Answer = o.text("answer", true, 10000)
	a.Status = o.enum("status", true, AnswerStatuses)
	a.Supersedes = o.supersedes()
	o.done()
	return a
}

// TypeName returns [AnomalyQueryType].
func (q *AnomalyQuery) TypeName() string { return AnomalyQueryType }

// Noun returns "anomaly query".
func (q *AnomalyQuery) Noun() string { return "anomaly query" }

// Replaces returns the query this one corrects, or nil.
func (q *AnomalyQuery) Replaces() *Supersedes { return q.Supersedes }

// Parties reports that only the operator names the partners asked (the
// entry's audience).
func (q *AnomalyQuery) Parties() ([]string, bool) { return operatorNamed() }

// Filed returns the zero Date: a query is filed under no date of its own.
func (q *AnomalyQuery) Filed() Date { return Date{} }

// Concerns returns nil: the partners asked are the entry's audience.
func (q *AnomalyQuery) Concerns() []string { return nil }

// TypeName returns [AnomalyAnswerType].
func (a *AnomalyAnswer) TypeName() string { return AnomalyAnswerType }

// Noun returns "anomaly answer".
func (a *AnomalyAnswer) Noun() string { return "anomaly answer" }

// Replaces returns the answer this one corrects, or nil.
func (a *AnomalyAnswer) Replaces() *Supersedes { return a.Supersedes }

// Parties returns the asker, the feed of the query answered.
func (a *AnomalyAnswer) Parties() ([]string, bool) { return []string{a.Query.Feed}, true }

// Filed returns the zero Date: an answer is filed under no date of its own.
func (a *AnomalyAnswer) Filed() Date { return Date{} }

// Concerns returns the asker.
func (a *AnomalyAnswer) Concerns() []string { return []string{a.Query.Feed} }

// ForEveryPartner reports false: the operator names the partners asked.
func (q *AnomalyQuery) ForEveryPartner() bool { return false }

// ForEveryPartner reports false.
func (a *AnomalyAnswer) ForEveryPartner() bool { return false }

// Author returns none.
func (q *AnomalyQuery) Author() (AuthorClaim, bool) {
	return AuthorClaim{}, false
}

// Author returns none.
func (a *AnomalyAnswer) Author() (AuthorClaim, bool) {
	return AuthorClaim{}, false
}
