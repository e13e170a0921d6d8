// Package trade generates the synthetic rough-diamond trade of a testnet
// and the ground truth of what reconciliation must find in it.
//
// [Generate] draws, deterministically from [Options.Seed], the records the
// nodes of a testnet publish to their partners, and injects anomalies whose
// findings it predicts. The testnet publishes [Plan.Items] through each
// node's API (in [Item.Step] order), then compares each node's findings
// with [Plan.Expected] using [Compare]: every expected finding raised by
// every node that holds its records, with its severity and, where the
// expectation says, a phrase of its explanation, and nothing else. [Plan.WriteTruth]
// and [ReadTruth] keep the ground truth in a file between the two.
//
// # The model
//
// Time. The trade fills a window of days ending on Now's date (UTC), up
// to two years: the current quarter so far and the closed quarters before
// it, the statistics quarters, the last of them just closed. The window is
// at least 45 days long and reaches at least 14 days into the last
// statistics quarter (see [Options.Days]).
//
// Shipments. Every node exports to each partner it trades with (EU
// authorities do not trade among themselves, and the EU itself trades only
// where none of its member-state authorities takes part: they issue the
// Union's certificates) a Poisson number of certificates a working day,
// fewer at weekends: its export rate (Antwerp highest, then Mumbai and
// Dubai, then the producers) shared among its partners by how strongly
// each attracts goods (cutting centres most).
// Producers (the participants with a national average in
// shared/data/unit-values.csv: BW, ZA, RU …) mostly export their own
// origin, in unsorted or sorted lots; hubs (everyone else) re-export mixed
// parcels, mostly gem quality. Lines weigh hundreds to tens of thousands of
// carats; their unit value is within ±8 % of a centre set per origin and
// HS code from the reference table (the table's average for unsorted goods,
// 1.6 times it for gem quality, a few dollars for industrial goods), which
// keeps every clean line inside the limits of the unit-value rule whatever
// subset of lines a node holds (the table's all-quality average bounds gem
// lines from below and industrial ones from above only). The issuer sends the certificate and, for
// most shipments, a pre-notification to the importer; the importer
// confirms receipt 1 to 10 days after issue. Goods issued in the
// statistics quarters have all arrived by today; later ones may still be in
// transit (never longer than 10 days, well within the 30 days after which a
// shipment counts as unconfirmed). Validity spans are 45 to 90 days, moved
// away from expiring while the load runs.
//
// Reports. Every reporter sends each partner its statistics rows about
// that partner for every statistics quarter, summed exactly as rule R10
// sums certificates: exports by issue quarter, imports by the quarter of
// receipt and only of goods the importer confirmed; a quarter without
// trade between two trading partners is a nil return (a row of nothing
// exported), or the partner would take the quarter for one never
// submitted. Nobody reports the current quarter. Goods in transit at a
// quarter's end are in the exporter's row of it and in the importer's of
// the next: where they make a measure differ by more than rule R9's limit,
// that is a real mirror discrepancy (DOMAIN.md rule 9: a one-quarter lag
// is shown as a possible explanation, never compared instead), which the
// ground truth expects with the lag's verdict (truth_mirror.go); small
// flows also move more than 50 % from one quarter to the next (R11, info;
// truth_change.go). Producers send their partners their production for
// each half-year the window meets (provisional for the current one),
// above their exports of own origin.
// About one reporter and period in three states what real submissions
// may (docs/records.md §6): the date basis it counted by (exports by
// certificate issue date, imports by import date), the conversion from
// its own currency at the period's last day, and for some producers the
// artisanal/industrial split; none of it changes a figure. Nodes also send a few
// notices (forged certificates, a seizure, a lifted enhanced vigilance, a
// historic suspension) that name nothing any certificate involves, and
// their annual report for every year due in the window (see annual.go).
// With anomalies, every node also sends its first partner a Data Anomaly
// Questionnaire query long overdue that nobody answers, and its second
// partner one that partner answers (questionnaires.go; Plan.Questions). Plan.Calendar says what each
// node's submission calendar must show late and missing
// (truth_calendar.go): the whole window is published at the load, so
// every submission of a period already due is late.
//
// With no anomalies, every node's reconciliation finds nothing but those
// mirror gaps and quarter-on-quarter changes, whatever the order in which
// records arrive. The ground truth derives every R9 and R11 change
// finding, injected or not, from the final statistics as each node holds
// them (its own rows and those about it), so a pair may be compared at one
// end only. The ground truth holds from Now until two weeks later,
// provided the records are published within a day of Now: no deadline of
// the rules on time (R2, R11) falls in that span, and no certificate
// expires while its confirmation may still be on its way.
//
// # Anomalies
//
// [Options.Anomalies] are spread round-robin over the rules R1..R12, each
// rule as often as the topology allows. R1–R8 add a shipment with one
// thing wrong (a short confirmation, broken seals, a parcel count, a
// pre-notification's value; no confirmation after 33–44 days; a forged
// number confirmed; a confirmation recorded twice; an origin outside the
// scheme or under enhanced vigilance; receipt before issue; a gem line
// priced as industrial goods, which is also a unit-value outlier; a gem
// line at a sixth of its origin's all-quality average, the under-valuation
// a one-sided reference catches, or an unsorted line at a fifth of its
// usual price). R9–R12 change what a
// reporter declares (imports 1.5 times the exporter's figure, which R10
// also flags; exports 5 % above the certificates; a row four times its
// certificates, +300 % on the quarter before; a whole quarter a reporter
// skipped, or an annual report skipped, R11's one finding per participant
// and obligation; production below own exports). Shipments fall anywhere
// in the window and statistics anomalies in any quarter of it. Each
// anomaly has its own shipment or its own statistics comparison, so that
// none changes what another raises.
// [Expected] lists each finding with the nodes that must raise it.
//
// # Concurrency
//
// Generate is safe for concurrent use; a Plan is a plain value that the
// caller owns.
package trade
