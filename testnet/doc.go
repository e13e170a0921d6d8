// Package testnet runs a network of kpnode participants on one machine:
// real nodes on loopback, linked as a topology says, loaded with
// generated trade (package trade), faulted on demand (stop, kill,
// restart, partition, heal) and checked for a verdict: every entry at
// every audience member, every chain verified, no equivocation, and the
// reconciliation findings equal to the ground truth of the anomalies
// injected.
//
// A [Network] is a directory: one node home per participant and a state
// file, testnet.json. Its members run either as separate kpnode processes
// ([ProcessRunner], what `kpnode testnet` uses) or inside the calling
// process ([InProcessRunner], for tests). Everything after start-up goes
// through each node's local HTTP API, the same in both cases.
package testnet
