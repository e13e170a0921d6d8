package protocol

import (
	"strings"
	"testing"
)

func TestPreNotificationInvalid(t *testing.T) {
	const f = "pre_notification.json"
	checkInvalid(t, PreNotificationType, []invalidCase{
		{f, set("origin", []any{"CD"}), "origin", ""},
		{f, set("certificate_number", del), "certificate_number", "is required"},
		{f, set("certificate_number", "IN 0001234"), "certificate_number", "must be a certificate number"},
		{f, set("issuer", "TW"), "issuer", "cannot run a node"},
		{f, set("carats", "0"), "carats", "greater than zero"},
		{f, set("value_usd", 231152.5), "value_usd", "must be a string"},
		{f, set("origin", del), "origin", "is required"},
		{f, set("origin[0]", "mixed"), "origin[0]", `a country code or "MIXED"`},
		{f, set("exporter.country", del), "exporter.country", "is required"},
		{f, set("importer", []any{}), "importer", "must be an object"},
		{f, set("parcels", 100001), "parcels", "between 1 and 100000"},
		{f, set("shipped", "2026-13-01"), "shipped", "must be a date"},
		{f, set("destination", "BE"), "destination", "unknown field"},
	})
}

func TestImportConfirmationInvalid(t *testing.T) {
	const f = "import_confirmation.json"
	failed := func(member string) func(map[string]any) {
		return func(m map[string]any) {
			set(member, false)(m)
			set("remarks", del)(m)
		}
	}
	checkInvalid(t, ImportConfirmationType, []invalidCase{
		{f, set("remarks", del), "remarks", ""},
		{f, func(m map[string]any) { set("contents_match", false)(m) }, "contents_match", ""},
		{f, set("certificate_number", "IN0001234 "), "certificate_number", "must be a certificate number"},
		{f, set("issuer", del), "issuer", "is required"},
		{f, set("parcels_received", 0), "parcels_received", "between 1 and 100000"},
		{f, set("carats_received", "1830.355"), "carats_received", "two decimals"},
		{f, set("importer.name", strings.Repeat("x", 201)), "importer.name", "201 characters, limit 200"},
		{f, set("exporter.licence", strings.Repeat("x", 65)), "exporter.licence", "65 characters, limit 64"},
		{f, set("received", del), "received", "is required"},
		{f, set("seals_intact", del), "seals_intact", "is required"},
		{f, set("seals_intact", "true"), "seals_intact", "must be true or false"},
		{f, set("contents_match", 1), "contents_match", "must be true or false"},
		{f, failed("seals_intact"), "remarks", "is required"},
		{f, failed("contents_match"), "remarks", "is required"},
		{f, set("remarks", strings.Repeat("x", 4001)), "remarks", "limit 4000"},
		{f, set("inspected_by", "ADO"), "inspected_by", "unknown field"},
	})
}

func TestStatisticsInvalid(t *testing.T) {
	const f, p = "trade_statistics.json", "production_statistics.json"
	zero := func(m map[string]any) {
		set("carats", "0")(m)
		set("value_usd", "0.00")(m)
		set("certificates", 0)(m)
	}
	checkInvalid(t, TradeStatisticsType, []invalidCase{
		{f, set("partner", "TW"), "partner", ""}, // the trading entity is a statistics partner
		{f, set("flow", "import"), "flow", ""},
		{f, set("partner", "EU"), "partner", ""},
		{f, zero, "carats", ""}, // a nil return
		{f, set("reporter", "TW"), "reporter", "cannot run a node"},
		{f, set("reporter", "XX"), "reporter", "unknown participant"},
		{f, set("partner", "XX"), "partner", "unknown participant"},
		{f, set("partner", "IN"), "partner", `must not be the reporter "IN"`},
		{f, set("period", "2026-3"), "period", `must be a quarter YYYY-Qn such as "2011-Q3", got "2026-3"`},
		{f, set("period", "2026-H2"), "period", "must be a quarter"},
		{f, set("period", del), "period", "is required"},
		{f, set("flow", "re-export"), "flow", "must be one of"},
		{f, set("hs_code", "7102"), "hs_code", "must be one of"},
		{f, set("carats", "-1"), "carats", "not a decimal"},
		{f, set("carats", "0"), "value_usd", "must be zero when carats is zero, got 188146582.50"},
		{f, set("value_usd", "0"), "value_usd", "must be greater than zero when carats is 1254310.55"},
		{f, set("certificates", -1), "certificates", "between 0 and"},
		{f, set("certificates", del), "certificates", "is required"},
		{f, set("quarter", "2026-Q3"), "quarter", "unknown field"},
	})
	checkInvalid(t, ProductionStatisticsType, []invalidCase{
		{p, set("carats", "0"), "value_usd", "must be zero when carats is zero"},
		{p, func(m map[string]any) { set("carats", "0")(m); set("value_usd", "0")(m) }, "carats", ""},
		{p, set("period", "2026-Q1"), "period", `must be a half-year YYYY-Hn such as "2011-H2"`},
		{p, set("period", "2026-H3"), "period", "must be a half-year"},
		{p, set("reporter", "TW"), "reporter", "cannot run a node"},
		{p, set("value_usd", del), "value_usd", "is required"},
		{p, set("hs_code", "7102.10"), "hs_code", "unknown field"},
	})
}

func TestAnomalyInvalid(t *testing.T) {
	const q, a = "anomaly_query.json", "anomaly_answer.json"
	checkInvalid(t, AnomalyQueryType, []invalidCase{
		{q, set("period", "2026-H2"), "period", ""},
		{q, func(m map[string]any) { set("rule", del)(m); set("finding", del)(m) }, "rule", ""},
		{q, set("reference", "BE AQ 12"), "reference", "must be a reference"},
		{q, set("period", "2026"), "period", `a quarter "2011-Q3" or a half-year "2011-H2"`},
		{q, set("subject", del), "subject", "is required"},
		{q, set("figure", "a\nb"), "figure", "control character"},
		{q, set("observed", strings.Repeat("x", 201)), "observed", "limit 200"},
		{q, set("due", "2026-12-32"), "due", "must be a date"},
		{q, set("question", ""), "question", "is required"},
		{q, set("rule", "rule 11"), "rule", "must be an identifier"},
		{q, set("finding", strings.Repeat("F", 129)), "finding", "limit 128"},
		{q, set("to", "IN"), "to", "unknown field"},
	})
	checkInvalid(t, AnomalyAnswerType, []invalidCase{
		{a, set("status", "cannot_answer"), "status", ""},
		{a, set("query", del), "query", "is required"},
		{a, set("query.feed", "TW"), "query.feed", "cannot run a node"},
		{a, set("query.seq", 0), "query.seq", "between 1 and"},
		{a, set("query.seq", del), "query.seq", "is required"},
		{a, set("query.item", 0), "query.item", "unknown field"},
		{a, set("answer", "   "), "answer", "is required"},
		{a, set("status", "pending"), "status", "must be one of"},
	})
}

func TestAcknowledgementAndWithdrawalInvalid(t *testing.T) {
	const k, w = "acknowledgement.json", "withdrawal.json"
	checkInvalid(t, AcknowledgementType, []invalidCase{
		{k, set("remarks", del), "remarks", ""},
		{k, set("of", del), "of", "is required"},
		{k, set("of.feed", "be"), "of.feed", "two-letter uppercase"},
		{k, set("of.seq", 1e20), "of.seq", "must be an integer"},
		{k, set("received", "2026-11-31"), "received", "must be a date"},
		{k, set("read", true), "read", "unknown field"},
	})
	checkInvalid(t, WithdrawalType, []invalidCase{
		{w, set("supersedes", map[string]any{"seq": 9}), "supersedes", ""},
		{w, set("supersedes", del), "supersedes", "is required"},
		{w, set("supersedes.seq", 0), "supersedes.seq", "between 1 and"},
		{w, set("supersedes.item", 10000), "supersedes.item", "between 0 and 9999"},
		{w, set("reason", del), "reason", "is required"},
		{w, set("reason", strings.Repeat("x", 4001)), "reason", "limit 4000"},
	})
}

func TestNoticeParticipantStatusChange(t *testing.T) {
	const f = "notice-participant-status-change.json"
	n, err := ParseNotice(readFile(t, examplesDir+"/"+f))
	if err != nil {
		t.Fatal(err)
	}
	if p := n.ParticipantStatusChange; p == nil || p.Participant != "CF" || p.Status != "readmitted" ||
		p.Effective != (Date{2024, 11, 8}) || n.EnhancedVigilance != nil {
		t.Errorf("notice %+v", n)
	}
	checkInvalid(t, NoticeType, []invalidCase{
		{f, set("participant_status_change.conditions", del), "participant_status_change.conditions", ""},
		{f, set("participant_status_change.status", "voluntarily_suspended"), "participant_status_change.status", ""},
		{f, set("participant_status_change", del), "participant_status_change", "is required"},
		{f, set("participant_status_change.participant", "TW"), "participant_status_change.participant", "cannot run a node"},
		{f, set("participant_status_change.status", "expelled"), "participant_status_change.status", "must be one of"},
		{f, set("participant_status_change.effective", del), "participant_status_change.effective", "is required"},
		{f, set("participant_status_change.reason", "x"), "participant_status_change.reason", "unknown field"},
		{f, set("enhanced_vigilance", map[string]any{}), "enhanced_vigilance", `not allowed when kind is "participant_status_change"`},
		{"notice.json", set("participant_status_change", map[string]any{}), "participant_status_change", `not allowed when kind is "fraudulent_certificate"`},
	})
}
