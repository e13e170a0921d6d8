// Package feedsync is the decision logic of a sync session's initiator
// ([Puller]): which ranges to want, whether an entry arriving is one it
// asked for and in order, when a session is done and whether another
// must follow at once. It is a deterministic state machine with no I/O,
// no clock and no goroutines; the exchange's sync I/O reads and writes the
// frames and feeds it what arrived. The transcripts in testdata/pull are
// its specification.
package feedsync
