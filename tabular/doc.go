// Package tabular reads and writes the records an operator imports and
// exports in bulk, the six importable record types of package protocol as
// tables: CSV with a header row (what a clerk's spreadsheet saves), or JSON.
// docs/records.md, "Import and export formats", is the user's reference.
//
// Every record read is validated by protocol's own validators and returned
// in canonical form; the package only maps cells to record members and
// back. protocol never imports tabular. [ReadParticipantUpdates] reads a
// participant-list update file, which is not imported but applied, with
// the same reader.
//
// # Hostile input
//
// [ReadTable] and its variants accept a clerk's file as it comes: they cap
// its size ([MaxTableSize]), recognise what is not a CSV or JSON file at all
// (a workbook, UTF-16, Windows-1252 text, the wrong separator) with one
// message for the file, and otherwise report every problem naming file, row
// and column, quoting cells with anything unprintable escaped. Exported CSV
// cells that a spreadsheet would run as formulas are guarded.
//
// # Concurrency and ownership
//
// All functions are safe for concurrent use. [ReadTable] checks a large
// file on up to GOMAXPROCS goroutines, which have all ended when it
// returns. The bodies returned belong to the caller.
package tabular
