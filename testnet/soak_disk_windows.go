package testnet

import "io/fs"

// diskBytes returns the file's length: Windows gives no allocated size
// through fs.FileInfo.
func diskBytes(info fs.FileInfo) int64 { return info.Size() }
