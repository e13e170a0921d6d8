// Package reconcile runs the twelve cross-checks of shared/DOMAIN.md, and
// R13 (a record written in another authority's name), over a
// node's records and keeps their findings current as records arrive.
//
// A [State] is fed decrypted records one at a time with [State.Add] (or
// many with [State.AddAll]): certificates, pre-notifications, import
// confirmations, trade and production statistics, annual reports, notices
// and withdrawals, as parsed by package protocol. Each Add returns the findings it raised,
// changed or cleared, at a cost proportional to the records it touches:
// records are indexed by their natural keys (issuer and certificate number;
// reporter, partner, quarter and HS code) and every aggregate a rule reads
// is updated in place. [State.Findings] lists the current findings at a
// given time, which becomes the State's clock: the time-based rules
// (unconfirmed shipments, missing submissions) read it and nothing else does,
// so tests control time by passing it in. [State.Explain] gives a longer
// account of one finding and [State.DraftQuery] the anomaly query it calls
// for. [State.Calendar] is the submission calendar at a time: what each
// participant owes (quarterly trade statistics, half-yearly production,
// annual reports), received on time or late, overdue or missing, which R11's
// missing submissions come from; [State.AnsweredBy] names the annual
// reports that cite a finding as resolved.
// A current finding is kept as what places it (id, partner, period,
// rule, severity) and a digest of the rest: its explanation, records and
// figures are described again by its rule when it is read, so a read costs
// one evaluation of its rule, and [State.Each] lists heads without any.
//
// The rules read current records only, as [Chains] decides them: the one
// rule of docs/records.md §11, which the node's exports and KP statistics
// use too. Findings depend only on the records held and the clock, never
// on the order of arrival: a correction supersedes the record it names and
// a withdrawal removes it even when they arrive first, and finding ids are
// built from natural keys ("R1/IN/IN0001234").
//
// The package is pure: no I/O, no logging, no goroutines. Carats and
// dollars are integer hundredths throughout; the only floating point is the
// statistics of rule R8 (logarithms of unit values and the robust z-score).
// [Rules] lists the rules; docs/reconcile.md describes each with its
// thresholds, its findings and its causes of false positives.
//
// # Concurrency and ownership
//
// A State is not safe for concurrent use; its owner serialises calls. It
// keeps the record bodies it is given, which the caller must not modify
// afterwards. The Findings it returns are copies that the caller owns.
// [Config], [UnitValues] and [Rules] values are safe to share.
package reconcile
