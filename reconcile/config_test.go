package reconcile

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestDefaultConfigIsValid(t *testing.T) {
	c := DefaultConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	// The defaults of shared/DOMAIN.md.
	if c.CaratTolerance.String() != "0.01" || c.CaratTolerancePct.String() != "0.05" || c.UnconfirmedDays != 30 ||
		c.EscalateDays != 60 || c.UnitValueBand != 3 || c.UnitValueZ != 3 || c.MirrorQuarterlyPct.String() != "20" ||
		c.MirrorYearlyCaratsPct.String() != "5" || c.MirrorYearlyValuePct.String() != "10" || !c.MirrorLagRetry ||
		c.CertStatsPct.String() != "1" || c.PeriodChangePct.String() != "50" || c.StatisticsDueMonths != 2 {
		t.Fatalf("defaults %+v", c)
	}
}

func TestConfigValidateNamesTheField(t *testing.T) {
	neg := -1
	zero := Percent(0)
	cases := map[string]func(*Config){
		"carat_tolerance":                  func(c *Config) { c.CaratTolerance = -1 },
		"carat_tolerance_pct":              func(c *Config) { c.CaratTolerancePct = 100_01 },
		"unconfirmed_days":                 func(c *Config) { c.UnconfirmedDays = 0 },
		"escalate_days":                    func(c *Config) { c.EscalateDays = 20 },
		"industrial_max_usd_per_ct":        func(c *Config) { c.IndustrialMaxUSDPerCarat = 0 },
		"unit_value_band":                  func(c *Config) { c.UnitValueBand = 1 },
		"unit_value_z":                     func(c *Config) { c.UnitValueZ = 0 },
		"unit_value_min_sample":            func(c *Config) { c.UnitValueMinSample = 2 },
		"mirror_quarterly_pct":             func(c *Config) { c.MirrorQuarterlyPct = 0 },
		"mirror_yearly_value_pct":          func(c *Config) { c.MirrorYearlyValuePct = 200_00 },
		"cert_stats_pct":                   func(c *Config) { c.CertStatsPct = -5 },
		"statistics_due_months":            func(c *Config) { c.StatisticsDueMonths = 25 },
		"anomaly_query_due_days":           func(c *Config) { c.AnomalyQueryDueDays = 0 },
		"production_stock_pct":             func(c *Config) { c.ProductionStockPct = -1 },
		"partners.BE.unconfirmed_days":     func(c *Config) { c.Partners = map[string]PartnerConfig{"BE": {UnconfirmedDays: &neg}} },
		"partners.BE.mirror_quarterly_pct": func(c *Config) { c.Partners = map[string]PartnerConfig{"BE": {MirrorQuarterlyPct: &zero}} },
		"partners.QQ":                      func(c *Config) { c.Partners = map[string]PartnerConfig{"QQ": {}} },
		"numbering.IN.pattern":             func(c *Config) { c.Numbering = map[string]Numbering{"IN": {Pattern: "IN(\\d+"}} },
		"numbering.IN.ranges[1].last": func(c *Config) {
			c.Numbering = map[string]Numbering{"IN": {Ranges: []NumberRange{{Year: 2025, First: 1, Last: 9}, {Year: 2026, First: 9, Last: 1}}}}
		},
	}
	for field, mod := range cases {
		c := DefaultConfig()
		mod(&c)
		err := c.Validate()
		if !errors.Is(err, ErrBadConfig) || !strings.Contains(err.Error(), field+":") {
			t.Errorf("%s: got %v", field, err)
		}
		if _, err := NewState(c, "IN", UnitValues{}); !errors.Is(err, ErrBadConfig) {
			t.Errorf("%s: NewState accepted it: %v", field, err)
		}
	}
	if _, err := NewState(DefaultConfig(), "india", UnitValues{}); !errors.Is(err, ErrBadConfig) {
		t.Errorf("self: %v", err)
	}
}

func TestConfigJSON(t *testing.T) {
	// As the node embeds it: decoded over the defaults, so that omitted
	// keys keep them.
	c := DefaultConfig()
	in := `{"unconfirmed_days": 45, "escalate_days": 90, "carat_tolerance": "0.02", "mirror_quarterly_pct": 25.5,
		"cert_stats_pct": "0.5", "partners": {"BE": {"unconfirmed_days": 15, "mirror_yearly_value_pct": 12}},
		"numbering": {"IN": {"pattern": "IN(?P<serial>\\d{7})", "ranges": [{"year": 2026, "first": 1, "last": 50000}]}}}`
	if err := json.Unmarshal([]byte(in), &c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.UnconfirmedDays != 45 || c.CaratTolerance != 2 || c.MirrorQuarterlyPct != 25_50 || c.CertStatsPct != 50 ||
		c.MirrorYearlyCaratsPct != 5_00 || *c.Partners["BE"].UnconfirmedDays != 15 || *c.Partners["BE"].MirrorYearlyValuePct != 12_00 {
		t.Fatalf("%+v", c)
	}
	out, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var back Config
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	again, _ := json.Marshal(back)
	if string(again) != string(out) {
		t.Fatalf("round trip:\n%s\n%s", out, again)
	}
	for _, bad := range []string{`{"mirror_quarterly_pct": "20 %"}`, `{"mirror_quarterly_pct": -1}`, `{"mirror_quarterly_pct": 1e2}`, `{"carat_tolerance": 0.01}`} {
		c := DefaultConfig()
		if err := json.Unmarshal([]byte(bad), &c); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestPercent(t *testing.T) {
	for s, want := range map[string]Percent{"20": 20_00, "0.05": 5, "12.5": 12_50, "100": 100_00} {
		p, err := ParsePercent(s)
		if err != nil || p != want || p.String() != s {
			t.Errorf("%s: %v %v %q", s, p, err, p.String())
		}
	}
	if !exceeds(21, 100, 20_00) || exceeds(20, 100, 20_00) || !exceeds(1, 0, 1) || exceeds(0, 0, 1) {
		t.Fatal("exceeds")
	}
	// Exact in 128 bits for the largest figures.
	if exceeds(1<<62, 1<<62, 0) != true || exceeds(1<<61, 1<<62, 50_00) {
		t.Fatal("exceeds on large values")
	}
	if pctOf(1, 3) != "33.33" || pctOf(-1, 2) != "-50.00" || pctOf(5, 0) != "inf" {
		t.Fatal(pctOf(1, 3), pctOf(-1, 2))
	}
}

func TestRulesAndQuery(t *testing.T) {
	rs := Rules()
	if len(rs) != 13 {
		t.Fatalf("%d rules", len(rs))
	}
	for i, r := range rs {
		if r.ID != "R"+itoa(int64(i+1)) || r.Name == "" || r.Doc == "" || rank(r.Severity) == 0 {
			t.Errorf("rule %d: %+v", i, r)
		}
	}
	f := Finding{Rule: "R9", RuleName: "mirror-statistics", Severity: Warning, Partner: "BE", Since: at("2026-02-01")}
	for q, want := range map[Query]bool{
		{}:                                 true,
		{Rule: "r9"}:                       true,
		{Rule: "mirror-statistics"}:        true,
		{Rule: "R1"}:                       false,
		{Partner: "BE", Severity: Warning}: true,
		{Severity: Critical}:               false,
		{Since: at("2026-01-01")}:          true,
		{Since: at("2026-03-01")}:          false,
	} {
		if q.Match(f) != want {
			t.Errorf("%+v: want %v", q, want)
		}
	}
}
