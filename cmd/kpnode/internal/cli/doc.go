// Package cli implements the kpnode command line: init, run and verify work
// on the home directory directly; every other command is a client of the
// running node's local HTTP API.
package cli
