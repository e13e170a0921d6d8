// Package home is a node's home directory on disk: the configuration
// file, the key files (identity.key, the key staged during a rotation and
// the retired keys), the API token, the store and its id and encryption
// key, the run lock; and the backup files that carry a store, with the
// restore that turns one back into a home.
//
// A [Home] is a value naming a directory: it holds no open files and is
// safe to copy and to use from several goroutines, except that two
// processes must not run on one home ([Home.Lock] keeps them apart).
// [HomeKeys] is the [node.KeyVault] a running node rotates its key with.
// home knows the node's [node.Config] (it writes and reads config.json)
// but never a running node: everything here works with the node stopped.
package home
