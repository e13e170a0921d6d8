package protocol

// Record type names of statistics.
const (
	TradeStatisticsType      = "trade_statistics"
	ProductionStatisticsType = "production_statistics"
)

// Trade flows, the values of TradeStatistics.Flow.
const (
	FlowImport = "import"
	FlowExport = "export"
)

var tradeFlows = []string{FlowImport, FlowExport}

func init() {
	register(TradeStatisticsType, "quarterly trade statistics by partner and HS code (KPCS Annex III)", (*checker).tradeStatistics)
	register(ProductionStatisticsType, "semi-annual production statistics", (*checker).productionStatistics)
}

// TradeStatistics is the body of a "trade_statistics" record: one row of a
// Participant's quarterly statistics (DOMAIN.md, Trade statistics). Carats
// and ValueUSD may both be zero (a nil return), but not only one of them.
//
// Origin, DateBasis and the [Conversion] are optional (empty: not stated,
// as in every record written before they existed). A cell (reporter,
// period, flow, partner, HS code) may be split into rows by origin; each
// row has its own natural key, and the cell's figures are the sum of its
// rows.
type TradeStatistics struct {
	Version  int     `json:"version"`  // 1
	Reporter string  `json:"reporter"` // participant code of the reporting authority
	Period   Quarter `json:"period"`
	Flow     string  `json:"flow"`    // FlowImport or FlowExport
	Partner  string  `json:"partner"` // provenance for imports, destination for exports; TW allowed
	HSCode   string  `json:"hs_code"`
	Origin   string  `json:"origin,omitempty"` // country code or OriginMixed; "" not stated
	Carats   Carats  `json:"carats"`
	ValueUSD USD     `json:"value_usd"`
	Conversion
	Certificates int         `json:"certificates"`
	DateBasis    string      `json:"date_basis,omitempty"` // BasisExportDate, …; "" not stated
	Supersedes   *Supersedes `json:"supersedes,omitempty"`
}

// ProductionStatistics is the body of a "production_statistics" record: a
// producer's semi-annual production (DOMAIN.md, Trade statistics).
// Artisanal and Industrial split the totals where the participant reports
// it: both or neither (not stated), adding up to Carats and ValueUSD.
type ProductionStatistics struct {
	Version  int    `json:"version"`  // 1
	Reporter string `json:"reporter"` // participant code of the reporting authority
	Period   Half   `json:"period"`
	Carats   Carats `json:"carats"`
	ValueUSD USD    `json:"value_usd"`
	Conversion
	Artisanal  *ProductionPart `json:"artisanal,omitempty"`  // artisanal and alluvial
	Industrial *ProductionPart `json:"industrial,omitempty"` // industrial mining
	Supersedes *Supersedes     `json:"supersedes,omitempty"`
}

// ParseTradeStatistics decodes and strictly validates a trade statistics
// body, reporting every problem in a *[ValidationError]. On error the
// result is nil.
func ParseTradeStatistics(body []byte) (*TradeStatistics, error) {
	return parseBody(TradeStatisticsType, body, (*checker).tradeStatistics)
}

// ParseProductionStatistics decodes and strictly validates a production
// statistics body, reporting every problem in a *[ValidationError]. On
// error the result is nil.
func ParseProductionStatistics(body []byte) (*ProductionStatistics, error) {
	return parseBody(ProductionStatisticsType, body, (*checker).productionStatistics)
}

// NaturalKey returns
// "trade_statistics/<reporter>/<period>/<flow>/<partner>/<hs code>", with
// "/<origin>" after it when the row states its origin, so that the rows of
// one cell split by origin are distinct records.
func (s *TradeStatistics) NaturalKey() string {
	k := s.CellKey()
	if s.Origin != "" {
		k += "/" + s.Origin
	}
	return k
}

// CellKey returns the natural key without the origin:
// "trade_statistics/<reporter>/<period>/<flow>/<partner>/<hs code>", the
// cell whose figures are the sum of its rows of every origin.
func (s *TradeStatistics) CellKey() string {
	return TradeStatisticsType + "/" + s.Reporter + "/" + s.Period.String() + "/" + s.Flow + "/" + s.Partner + "/" + s.HSCode
}

// NaturalKey returns "production_statistics/<reporter>/<period>".
func (s *ProductionStatistics) NaturalKey() string {
	return ProductionStatisticsType + "/" + s.Reporter + "/" + s.Period.String()
}

func (c *checker) tradeStatistics(o *object) *TradeStatistics {
	if o == nil || !o.version() {
		return nil
	}
	s := &TradeStatistics{Version: 1}
	s.Reporter = o.participant("reporter", true, true)
	s.Period = o.quarter("period")
	s.Flow = o.enum("flow", true, tradeFlows)
	s.Partner = o.participant("partner", true, false)
	if s.Partner != "" && s.Partner == s.Reporter {
		c.add(o.at("partner"), "must not be the reporter %q", s.Reporter)
	}
	s.HSCode = o.enum("hs_code", true, hsCodes)
	s.Origin = o.statisticsOrigin()
	s.Carats, s.ValueUSD = o.quantities()
	s.Conversion = o.conversion(s.ValueUSD)
	s.Certificates = int(o.integer("certificates", true, 0, 10000000))
	s.DateBasis = o.dateBasis(s.Flow)
	s.Supersedes = o.supersedes()
	o.done()
	return s
}

func (c *checker) productionStatistics(o *object) *ProductionStatistics {
	if o == nil || !o.version() {
		return nil
	}
	s := &ProductionStatistics{Version: 1}
	s.Reporter = o.participant("reporter", true, true)
	s.Period = o.half("period")
	before := len(c.errs)
	s.Carats, s.ValueUSD = o.quantities()
	s.Conversion = o.conversion(s.ValueUSD)
	s.Artisanal = o.productionPart("artisanal")
	s.Industrial = o.productionPart("industrial")
	o.checkSplit(s, before)
	s.Supersedes = o.supersedes()
	o.done()
	return s
}

// quarter reads a required quarter "2011-Q3".
func (o *object) quarter(name string) Quarter {
	s := o.str(name, true, 64)
	if s == "" {
		return Quarter{}
	}
	q, err := ParseQuarter(s)
	if err != nil {
		o.c.add(o.at(name), "must be a quarter YYYY-Qn such as \"2011-Q3\", got %q", truncate(s, 40))
	}
	return q
}

// half reads a required half-year "2011-H2".
func (o *object) half(name string) Half {
	s := o.str(name, true, 64)
	if s == "" {
		return Half{}
	}
	h, err := ParseHalf(s)
	if err != nil {
		o.c.add(o.at(name), "must be a half-year YYYY-Hn such as \"2011-H2\", got %q", truncate(s, 40))
	}
	return h
}

// TypeName returns [TradeStatisticsType].
func (s *TradeStatistics) TypeName() string { return TradeStatisticsType }

// Noun returns "trade statistics row".
func (s *TradeStatistics) Noun() string { return "trade statistics row" }

// Replaces returns the row this one corrects, or nil.
func (s *TradeStatistics) Replaces() *Supersedes { return s.Supersedes }

// Parties returns the partner.
func (s *TradeStatistics) Parties() ([]string, bool) { return []string{s.Partner}, true }

// Filed returns the first day of the period.
func (s *TradeStatistics) Filed() Date { return s.Period.Start() }

// Concerns returns the reporter and the partner.
func (s *TradeStatistics) Concerns() []string { return []string{s.Reporter, s.Partner} }

// TypeName returns [ProductionStatisticsType].
func (s *ProductionStatistics) TypeName() string { return ProductionStatisticsType }

// Noun returns "production statistics row".
func (s *ProductionStatistics) Noun() string { return "production statistics row" }

// Replaces returns the row this one corrects, or nil.
func (s *ProductionStatistics) Replaces() *Supersedes { return s.Supersedes }

// Parties reports that only the operator can name the readers of a
// Participant's own production figures.
func (s *ProductionStatistics) Parties() ([]string, bool) { return operatorNamed() }

// Filed returns the first day of the period.
func (s *ProductionStatistics) Filed() Date { return s.Period.Start() }

// Concerns returns the reporter.
func (s *ProductionStatistics) Concerns() []string { return []string{s.Reporter} }

// ForEveryPartner reports false.
func (s *TradeStatistics) ForEveryPartner() bool { return false }

// ForEveryPartner reports true: the whole KP reads production figures.
func (s *ProductionStatistics) ForEveryPartner() bool { return true }

// Author returns the reporter.
func (s *TradeStatistics) Author() (AuthorClaim, bool) {
	return AuthorClaim{"reporter", s.Reporter}, true
}

// Author returns the reporter.
func (s *ProductionStatistics) Author() (AuthorClaim, bool) {
	return AuthorClaim{"reporter", s.Reporter}, true
}
