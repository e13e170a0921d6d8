package reconcile

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"

	"github.com/kpnode/kpnode/protocol"
)

// Config holds the thresholds of the twelve cross-checks. Every one is a
// default of shared/DOMAIN.md that a bilateral agreement may change; the KP
// publishes none. The node embeds it in config.json under "reconcile".
// Decode into [DefaultConfig] so that omitted keys keep their defaults.
type Config struct {
	// CaratTolerance and CaratTolerancePct bound the carat difference
	// between a certificate and its confirmation or pre-notification (R1):
	// they agree when the difference is at most CaratTolerance or at most
	// CaratTolerancePct of the certificate's carats, whichever is larger.
	CaratTolerance    protocol.Carats `json:"carat_tolerance"`     // "0.01" ct
	CaratTolerancePct Percent         `json:"carat_tolerance_pct"` // 0.05 %

	// UnconfirmedDays after issue a certificate without an import
	// confirmation is a warning; EscalateDays after issue it is critical
	// (R2). EscalateDays is at least UnconfirmedDays.
	UnconfirmedDays int `json:"unconfirmed_days"` // 30
	EscalateDays    int `json:"escalate_days"`    // 60

	// Numbering gives, per issuer, the pattern of its certificate numbers
	// and their yearly serial ranges; a confirmation or pre-notification
	// citing a number outside them is an unknown certificate (R3).
	Numbering map[string]Numbering `json:"numbering,omitempty"`

	// An industrial line (7102.21) above IndustrialMaxUSDPerCarat, or a gem
	// line (7102.31) below GemMinUSDPerCarat, is a classification finding
	// (R7).
	IndustrialMaxUSDPerCarat protocol.USD `json:"industrial_max_usd_per_ct"` // "50"
	GemMinUSDPerCarat        protocol.USD `json:"gem_min_usd_per_ct"`        // "5"

	// A certificate line's unit value is an outlier (R8) outside
	// ×1/UnitValueBand … ×UnitValueBand of the reference median, or beyond a
	// robust z-score of UnitValueZ. The median and spread of the observed
	// lines of the same origin, HS code and year are the reference once
	// there are UnitValueMinSample of them; before that the reference table
	// (unit-values.csv) is, without a z-score. These two are statistical
	// parameters and the only floats of the package.
	UnitValueBand      float64 `json:"unit_value_band"`       // 3
	UnitValueZ         float64 `json:"unit_value_z"`          // 3
	UnitValueMinSample int     `json:"unit_value_min_sample"` // 20

	// Mirror statistics (R9): A's exports to B against B's imports from A
	// differ by more than MirrorQuarterlyPct of the larger figure in a
	// quarter (carats, value or certificate count), or by more than
	// MirrorYearlyCaratsPct (carats) or MirrorYearlyValuePct (value) over a
	// calendar year, each measure on its own. With MirrorLagRetry a finding
	// also shows whether a one-quarter lag would explain the gap of each
	// measure that broke its limit; the lag never removes a finding.
	MirrorQuarterlyPct    Percent `json:"mirror_quarterly_pct"`     // 20
	MirrorYearlyCaratsPct Percent `json:"mirror_yearly_carats_pct"` // 5
	MirrorYearlyValuePct  Percent `json:"mirror_yearly_value_pct"`  // 10
	MirrorLagRetry        bool    `json:"mirror_lag_retry"`         // true

	// CertStatsPct bounds the residual between the certificates of a
	// (partner, quarter, HS code) and the statistics reported for it (R10).
	CertStatsPct Percent `json:"cert_stats_pct"` // 1

	// PeriodChangePct bounds the quarter-on-quarter change of a statistics
	// figure; a quarter's statistics are missing StatisticsDueMonths after
	// the quarter ends (R11). A drafted anomaly query is due
	// AnomalyQueryDueDays after it is drafted.
	PeriodChangePct     Percent `json:"period_change_pct"`      // 50
	StatisticsDueMonths int     `json:"statistics_due_months"`  // 2
	AnomalyQueryDueDays int     `json:"anomaly_query_due_days"` // 30

	// A query a partner has not answered AnomalyQueryGraceDays after its
	// due date is overdue ([TrackQueries]).
	AnomalyQueryGraceDays int `json:"anomaly_query_grace_days"` // 0

	// A producer's exports of its own origin in a half-year may exceed its
	// production of that half by ProductionStockPct (sales from stock)
	// before they are flagged (R12).
	ProductionStockPct Percent `json:"production_stock_pct"` // 50

	// Calendar sets when submissions are due and from when they are owed
	// (the submission calendar; R11's missing submissions).
	Calendar CalendarConfig `json:"calendar"`

	// Partners overrides thresholds for one partner, by participant code.
	Partners map[string]PartnerConfig `json:"partners,omitempty"`
}

// PartnerConfig overrides, for one partner, the thresholds a bilateral
// agreement may set. A nil field keeps the value of [Config].
type PartnerConfig struct {
	CaratTolerance        *protocol.Carats `json:"carat_tolerance,omitempty"`
	CaratTolerancePct     *Percent         `json:"carat_tolerance_pct,omitempty"`
	UnconfirmedDays       *int             `json:"unconfirmed_days,omitempty"`
	EscalateDays          *int             `json:"escalate_days,omitempty"`
	MirrorQuarterlyPct    *Percent         `json:"mirror_quarterly_pct,omitempty"`
	MirrorYearlyCaratsPct *Percent         `json:"mirror_yearly_carats_pct,omitempty"`
	MirrorYearlyValuePct  *Percent         `json:"mirror_yearly_value_pct,omitempty"`
	CertStatsPct          *Percent         `json:"cert_stats_pct,omitempty"`
}

// Numbering describes an issuer's certificate numbers (DOMAIN.md: "the
// issuer's own pattern (regex + yearly ranges) is configurable").
type Numbering struct {
	// Pattern is an RE2 expression the whole number must match. Its
	// optional named groups "year" (two or four digits) and "serial" pick
	// the year and the serial number out of it. Empty: any number.
	Pattern string `json:"pattern,omitempty"`
	// Ranges are the serial numbers issued each year. Without a "serial"
	// group the serial is the last run of digits in the number; without a
	// "year" group the year is that of the confirmation's received date
	// (or the pre-notification's shipped date) or the year before.
	Ranges []NumberRange `json:"ranges,omitempty"`
}

// NumberRange is the serial range an issuer used in one year, inclusive.
type NumberRange struct {
	Year  int    `json:"year"`
	First uint64 `json:"first"`
	Last  uint64 `json:"last"`
}

// DefaultConfig returns the defaults of shared/DOMAIN.md.
func DefaultConfig() Config {
	return Config{
		CaratTolerance:           1, // 0.01 ct
		CaratTolerancePct:        5, // 0.05 %
		UnconfirmedDays:          30,
		EscalateDays:             60,
		IndustrialMaxUSDPerCarat: 50_00,
		GemMinUSDPerCarat:        5_00,
		UnitValueBand:            3,
		UnitValueZ:               3,
		UnitValueMinSample:       20,
		MirrorQuarterlyPct:       20_00,
		MirrorYearlyCaratsPct:    5_00,
		MirrorYearlyValuePct:     10_00,
		MirrorLagRetry:           true,
		CertStatsPct:             1_00,
		PeriodChangePct:          50_00,
		StatisticsDueMonths:      2,
		AnomalyQueryDueDays:      30,
		ProductionStockPct:       50_00,
		Calendar:                 defaultCalendar(),
	}
}

// Validate returns an error wrapping [ErrBadConfig] that names the first
// invalid field, or nil.
func (c Config) Validate() error {
	_, err := c.compile()
	return err
}

// thresholds are the per-partner values of a Config after overrides.
type thresholds struct {
	caratTol          int64
	caratTolPct       Percent
	unconfirmedDays   int
	escalateDays      int
	mirrorQuarterly   Percent
	mirrorYearlyCts   Percent
	mirrorYearlyValue Percent
	certStats         Percent
}

// compiled is a validated Config ready for evaluation.
type compiled struct {
	Config
	base      thresholds
	partners  map[string]thresholds
	numbering map[string]*numbering
}

// forPartner returns the thresholds that apply to partner.
func (c *compiled) forPartner(partner string) *thresholds {
	if t, ok := c.partners[partner]; ok {
		return &t
	}
	return &c.base
}

func badField(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrBadConfig, field, fmt.Sprintf(format, args...))
}

func (c Config) compile() (*compiled, error) {
	if err := c.checkScalars(); err != nil {
		return nil, err
	}
	out := &compiled{Config: c, partners: map[string]thresholds{}, numbering: map[string]*numbering{}}
	out.base = thresholds{
		caratTol: int64(c.CaratTolerance), caratTolPct: c.CaratTolerancePct,
		unconfirmedDays: c.UnconfirmedDays, escalateDays: c.EscalateDays,
		mirrorQuarterly: c.MirrorQuarterlyPct, mirrorYearlyCts: c.MirrorYearlyCaratsPct,
		mirrorYearlyValue: c.MirrorYearlyValuePct, certStats: c.CertStatsPct,
	}
	for _, code := range sortedKeys(c.Partners) {
		t, err := c.Partners[code].apply(out.base, "partners."+code)
		if err != nil {
			return nil, err
		}
		if !protocol.AdmissibleCode(code, false) {
			return nil, badField("partners."+code, "unknown participant code")
		}
		out.partners[code] = t
	}
	for _, code := range sortedKeys(c.Numbering) {
		n, err := compileNumbering(c.Numbering[code], "numbering."+code)
		if err != nil {
			return nil, err
		}
		out.numbering[code] = n
	}
	return out, nil
}

func (c Config) checkScalars() error {
	checks := []struct {
		field string
		bad   bool
		want  string
		got   any
	}{
		{"carat_tolerance", c.CaratTolerance < 0, "must not be negative", c.CaratTolerance},
		{"carat_tolerance_pct", c.CaratTolerancePct < 0 || c.CaratTolerancePct > 100_00, "must be 0..100", c.CaratTolerancePct},
		{"unconfirmed_days", c.UnconfirmedDays < 1 || c.UnconfirmedDays > 3650, "must be 1..3650", c.UnconfirmedDays},
		{"escalate_days", c.EscalateDays < c.UnconfirmedDays || c.EscalateDays > 3650, "must be unconfirmed_days..3650", c.EscalateDays},
		{"industrial_max_usd_per_ct", c.IndustrialMaxUSDPerCarat <= 0, "must be greater than zero", c.IndustrialMaxUSDPerCarat},
		{"gem_min_usd_per_ct", c.GemMinUSDPerCarat <= 0, "must be greater than zero", c.GemMinUSDPerCarat},
		{"unit_value_band", !(c.UnitValueBand > 1 && c.UnitValueBand <= 1000), "must be more than 1 and at most 1000", c.UnitValueBand},
		{"unit_value_z", !(c.UnitValueZ > 0 && c.UnitValueZ <= 100), "must be more than 0 and at most 100", c.UnitValueZ},
		{"unit_value_min_sample", c.UnitValueMinSample < 3, "must be at least 3", c.UnitValueMinSample},
		{"mirror_quarterly_pct", !validPct(c.MirrorQuarterlyPct), "must be more than 0 and at most 100", c.MirrorQuarterlyPct},
		{"mirror_yearly_carats_pct", !validPct(c.MirrorYearlyCaratsPct), "must be more than 0 and at most 100", c.MirrorYearlyCaratsPct},
		{"mirror_yearly_value_pct", !validPct(c.MirrorYearlyValuePct), "must be more than 0 and at most 100", c.MirrorYearlyValuePct},
		{"cert_stats_pct", !validPct(c.CertStatsPct), "must be more than 0 and at most 100", c.CertStatsPct},
		{"period_change_pct", c.PeriodChangePct <= 0, "must be more than 0", c.PeriodChangePct},
		{"statistics_due_months", c.StatisticsDueMonths < 0 || c.StatisticsDueMonths > 24, "must be 0..24", c.StatisticsDueMonths},
		{"anomaly_query_due_days", c.AnomalyQueryDueDays < 1 || c.AnomalyQueryDueDays > 3650, "must be 1..3650", c.AnomalyQueryDueDays},
		{"anomaly_query_grace_days", c.AnomalyQueryGraceDays < 0 || c.AnomalyQueryGraceDays > 3650, "must be 0..3650", c.AnomalyQueryGraceDays},
		{"production_stock_pct", c.ProductionStockPct < 0, "must not be negative", c.ProductionStockPct},
	}
	for _, ch := range checks {
		if ch.bad {
			return badField(ch.field, "%s, got %v", ch.want, ch.got)
		}
	}
	return c.Calendar.check()
}

func validPct(p Percent) bool { return p > 0 && p <= 100_00 }

// apply returns base with the overrides of p, checked.
func (p PartnerConfig) apply(base thresholds, path string) (thresholds, error) {
	t := base
	if p.CaratTolerance != nil {
		if *p.CaratTolerance < 0 {
			return t, badField(path+".carat_tolerance", "must not be negative, got %v", *p.CaratTolerance)
		}
		t.caratTol = int64(*p.CaratTolerance)
	}
	if v := p.CaratTolerancePct; v != nil {
		if *v < 0 || *v > 100_00 {
			return t, badField(path+".carat_tolerance_pct", "must be 0..100, got %v", *v)
		}
		t.caratTolPct = *v
	}
	if v := p.UnconfirmedDays; v != nil {
		t.unconfirmedDays = *v
	}
	if v := p.EscalateDays; v != nil {
		t.escalateDays = *v
	}
	if t.unconfirmedDays < 1 || t.unconfirmedDays > 3650 {
		return t, badField(path+".unconfirmed_days", "must be 1..3650, got %d", t.unconfirmedDays)
	}
	if t.escalateDays < t.unconfirmedDays || t.escalateDays > 3650 {
		return t, badField(path+".escalate_days", "must be unconfirmed_days (%d)..3650, got %d", t.unconfirmedDays, t.escalateDays)
	}
	pcts := []struct {
		name string
		v    *Percent
		dst  *Percent
	}{
		{"mirror_quarterly_pct", p.MirrorQuarterlyPct, &t.mirrorQuarterly},
		{"mirror_yearly_carats_pct", p.MirrorYearlyCaratsPct, &t.mirrorYearlyCts},
		{"mirror_yearly_value_pct", p.MirrorYearlyValuePct, &t.mirrorYearlyValue},
		{"cert_stats_pct", p.CertStatsPct, &t.certStats},
	}
	for _, x := range pcts {
		if x.v == nil {
			continue
		}
		if !validPct(*x.v) {
			return t, badField(path+"."+x.name, "must be more than 0 and at most 100, got %v", *x.v)
		}
		*x.dst = *x.v
	}
	return t, nil
}

// numbering is a compiled [Numbering].
type numbering struct {
	re         *regexp.Regexp
	yearIdx    int // submatch index of "year", or -1
	serialIdx  int // submatch index of "serial", or -1
	ranges     map[int]NumberRange
	rangeYears []int
}

func compileNumbering(n Numbering, path string) (*numbering, error) {
	out := &numbering{yearIdx: -1, serialIdx: -1, ranges: map[int]NumberRange{}}
	if n.Pattern != "" {
		re, err := regexp.Compile(`^(?:` + n.Pattern + `)$`)
		if err != nil {
			return nil, badField(path+".pattern", "not a regular expression: %v", err)
		}
		out.re = re
		out.yearIdx = re.SubexpIndex("year")
		out.serialIdx = re.SubexpIndex("serial")
	}
	for i, r := range n.Ranges {
		p := fmt.Sprintf("%s.ranges[%d]", path, i)
		switch {
		case r.Year < 1900 || r.Year > 2200:
			return nil, badField(p+".year", "must be 1900..2200, got %d", r.Year)
		case r.Last < r.First:
			return nil, badField(p+".last", "must not be below first (%d), got %d", r.First, r.Last)
		}
		if _, dup := out.ranges[r.Year]; dup {
			return nil, badField(p+".year", "%d is listed twice", r.Year)
		}
		out.ranges[r.Year] = r
		out.rangeYears = append(out.rangeYears, r.Year)
	}
	slices.Sort(out.rangeYears)
	return out, nil
}

// sortedKeys returns the keys of m in order.
func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
