// Package node is a running kpnode: it owns the store, the node's identity,
// its libp2p host and connection gater, and turns operator requests
// (publish a record, pin a partner, read a feed) into verified, signed,
// encrypted entries. It appends the operator's administrative actions to
// the store's audit log and hands out evidence bundles of the records it
// holds ([Node.Evidence]; [ExportEvidence] with the node stopped).
//
// A [Node] is created by [New] and serves until the context given to
// [Node.Run] ends; Run returns only after every goroutine it started has
// exited. All exported methods are safe for concurrent use. Byte slices
// passed to a Node are not retained unless documented; slices returned are
// the caller's.
//
// The home directory (keys, configuration, API token, store) and the
// backup files are package home's: node never touches the filesystem
// beyond the store it is given.
package node
