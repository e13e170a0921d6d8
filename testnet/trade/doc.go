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
// Time. The trade fills a window of days ending on Now's date (UTC): the
// current quarter so far and the end of the previous one, the statistics
// quarter. The window is at least 45 days long and reaches at least 14
// days into the statistics quarter (see [Options.Days]).
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
// statistics quarter have all arrived by today; later ones may still be in
// transit (never longer than 10 days, well within the 30 days after which a
// shipment counts as unconfirmed). Validity spans are 45 to 90 days, moved
// away from expiring while the load runs.
//
// Reports. Every reporter sends each partner its statistics rows about
// that partner for the statistics quarter, summed exactly as rule R10 sums
// certificates: exports by issue quarter, imports by the quarter of
// receipt and only of goods the importer confirmed. Nobody reports an
// earlier quarter, so nothing is missing or compared quarter on quarter,
// and nobody reports the current one. Goods in transit at the statistics
// quarter's end are in the exporter's row and not in the importer's: where
// they make a measure differ by more than rule R9's 20 %, that is a real
// mirror discrepancy (DOMAIN.md rule 9: a one-quarter lag is shown as a
// possible explanation, never compared instead), which the ground truth
// expects, with an explanation saying the lag cannot be judged yet (the
// next quarter is not in). With a window reaching only two weeks into the
// statistics quarter, most pairs show such a gap. Producers send their
// partners their production for each half-year the window meets
// (provisional for the current one), above their exports of own origin.
// About one reporter and period in three states what real submissions
// may (docs/records.md §6): the date basis it counted by (exports by
// certificate issue date, imports by import date), the conversion from
// its own currency at the period's last day, and for some producers the
// artisanal/industrial split; none of it changes a figure. Nodes also send a few
// notices (forged certificates, a seizure, a lifted enhanced vigilance, a
// historic suspension) that name nothing any certificate involves, and
// their annual report for the latest year due (see annual.go). With
// anomalies, every node also sends its first partner a Data Anomaly
// Questionnaire query long overdue that nobody answers
// (questionnaires.go; Plan.Questions).
//
// With no anomalies, every node's reconciliation finds nothing but those
// mirror gaps of goods in transit, whatever the order in which records
// arrive. The ground truth derives every R9 finding, injected or not, from
// the final statistics as each node holds them (its own rows and those
// about it), so a pair may be compared at one end only. The ground truth holds from Now until
// two weeks later, provided the records are published within a day of Now:
// no deadline of the rules on time (R2, R11) falls in that span, and no
// certificate expires while its confirmation may still be on its way.
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
// also flags; exports 5 % above the certificates; a previous quarter of a
// quarter of the current figure; a quarter skipped two quarters back, or
// an annual report skipped, R11's one finding per participant and
// obligation; production below own exports). Each anomaly has its own shipment or its
// own statistics comparison, so that none changes what another raises.
// [Expected] lists each finding with the nodes that must raise it.
//
// # Concurrency
//
// Generate is safe for concurrent use; a Plan is a plain value that the
// caller owns.
package trade
