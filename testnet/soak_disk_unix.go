//go:build unix

package testnet

import (
	"io/fs"
	"syscall"
)

// diskBytes returns the bytes a file takes on disk: its allocated blocks,
// so that a sparse, preallocated file (Badger's memtable and value log)
// counts what it holds, not its length.
func diskBytes(info fs.FileInfo) int64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return int64(st.Blocks) * 512
	}
	return info.Size()
}
