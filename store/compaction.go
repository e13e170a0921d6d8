package store

import badger "github.com/dgraph-io/badger/v4"

// Badger's compactors wake every 50 ms each (levelsController.runCompactor,
// a fixed ticker) to look for a level to compact, whether or not anything
// was written: on an idle node those 40 wake-ups a second were most of the
// process's CPU (about 0.35 % of a core on the 2-core test machine, more
// than everything else an idle node with 60 partners does; BenchmarkIdle,
// BENCHMARKS.md). Badger has no public way to pause its compactors or to
// set that tick (docs/storage.md, "Upstream request"), so there are two
// builds of the store's compactor:
//
//   - the default (compaction_switch.go) switches the compactors off once
//     the store is quiet and compacted, and on at the next write, through
//     a linkname to Badger's unexported stopCompactions and
//     startCompactions;
//   - with -tags nolinkname (compaction_ticker.go) nothing reaches into
//     Badger: the compactors keep their ticker and an idle node pays the
//     idle cost above (0.3 to 0.6 % of a core more, docs/storage.md). Use
//     it when Badger is upgraded to a version whose unexported methods
//     changed: the default build then fails to link.
//
// Both builds pass the store's tests (go test ./store/ and go test -tags
// nolinkname ./store/).

// needsCompaction reports whether a compactor would compact a level:
// Badger gives a level a score only when it is 1 or more (Levels).
func needsCompaction(levels []badger.LevelInfo) bool {
	for _, l := range levels {
		if l.Score >= 1 {
			return true
		}
	}
	return false
}
