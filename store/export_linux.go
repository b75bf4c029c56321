package store

import (
	"syscall"

	"go.etcd.io/bbolt"
)

// dropMapped takes the database's pages out of this process's resident
// memory (madvise MADV_DONTNEED on the file's memory map): they stay in the
// kernel's page cache, and a later read maps them again. bbolt maps the file
// read-only and writes with pwrite, so nothing is lost. It must run inside
// a transaction, which holds the map in place.
func dropMapped(tx *bbolt.Tx) {
	info := tx.DB().Info()
	if info == nil || info.Data == 0 || tx.Size() <= 0 {
		return
	}
	// Errors (such as EINVAL for a locked map, Options.Mlock) only mean
	// the pages stay resident.
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, info.Data, uintptr(tx.Size()), syscall.MADV_DONTNEED)
}
