//go:build !linux

package store

import "go.etcd.io/bbolt"

// dropMapped does nothing where madvise is not known to be safe on a
// shared read-only map; exports then leave the pages read resident, for
// the kernel to reclaim.
func dropMapped(*bbolt.Tx) {}
