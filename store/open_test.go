package store_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"toolmap/store"
)

var allBuckets = []string{"answer_log", "chats", "counters", "digests", "meta", "outbox", "response_keys", "responses", "seen", "sessions", "updates"}

func bucketsAndSchema(t *testing.T, path string) ([]string, uint64) {
	t.Helper()
	var names []string
	c := contents(t, path)
	for _, b := range allBuckets {
		if _, ok := c[b]; ok {
			names = append(names, b)
		}
	}
	return names, c["meta/schema"]
}

func TestOpenCreates(t *testing.T) {
	db, path := mustCreate(t, nil)
	if got := db.Path(); got != path {
		t.Errorf("Path() = %q, want %q", got, path)
	}
	mustClose(t, db)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("mode = %v, want 0600", got)
	}
	names, schema := bucketsAndSchema(t, path)
	if diff := cmp.Diff(allBuckets, names); diff != "" {
		t.Errorf("buckets (-want +got):\n%s", diff)
	}
	if schema != store.Schema {
		t.Errorf("schema = %d, want %d", schema, store.Schema)
	}
}

func TestOpenLocked(t *testing.T) {
	_, path := mustCreate(t, nil)
	type result struct {
		db  *store.DB
		err error
	}
	ch := make(chan result, 1)
	go func() {
		db, err := store.Open(path, &store.Options{Timeout: 10 * time.Millisecond})
		ch <- result{db, err}
	}()
	var r result
	select {
	case r = <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal("second Open hangs")
	}
	if r.err == nil {
		r.db.Close()
		t.Fatal("second Open of a database in use succeeded")
	}
	if !errors.Is(r.err, store.ErrLocked) {
		t.Errorf("errors.Is(err, ErrLocked) = false for %v", r.err)
	}
	if !errors.Is(r.err, berrors.ErrTimeout) {
		t.Errorf("errors.Is(err, bbolt ErrTimeout) = false for %v", r.err)
	}
	if got, want := r.err.Error(), "database "+path+" is in use by another toolmap process"; got != want {
		t.Errorf("message:\n got %q\nwant %q", got, want)
	}

	// Read-only opens share the lock with each other, not with a writer.
	if _, err := store.Open(path, &store.Options{Timeout: -1, ReadOnly: true}); !errors.Is(err, store.ErrLocked) {
		t.Errorf("read-only Open while a writer holds the file: got %v, want ErrLocked", err)
	}
}

func TestOpenReadOnly(t *testing.T) {
	def, clk := testDef(t), newClock()
	db, path := mustCreate(t, clk)
	run(t, db, def, clk, 1, start, agree, choose("dev"))
	mustClose(t, db)

	ro1 := mustOpen(t, path, &store.Options{ReadOnly: true})
	ro2 := mustOpen(t, path, &store.Options{ReadOnly: true})
	for _, ro := range []*store.DB{ro1, ro2} {
		s, ok, err := ro.Session(1)
		if err != nil || !ok || s.Answers["role"].Values[0] != "dev" {
			t.Errorf("read-only Session(1) = %v, %v, %v", s.Answers, ok, err)
		}
	}
	if _, err := ro1.Step(1, engine(def, toggle("git"), clk.Now())); !errors.Is(err, berrors.ErrDatabaseReadOnly) {
		t.Errorf("Step on a read-only database: got %v, want ErrDatabaseReadOnly", err)
	}
	if _, err := store.Open(path, &store.Options{Timeout: -1}); !errors.Is(err, store.ErrLocked) {
		t.Errorf("Open while read-only opens hold the file: got %v, want ErrLocked", err)
	}

	missing := filepath.Join(t.TempDir(), "missing.db")
	if _, err := store.Open(missing, &store.Options{ReadOnly: true}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("read-only Open of a missing file: got %v, want ErrNotExist", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("read-only Open created %s", missing)
	}
}

// setSchema writes a schema version into a closed database with bbolt itself.
func setSchema(t *testing.T, path string, v []byte) {
	t.Helper()
	b := rawBolt(t, path, false)
	err := b.Update(func(tx *bbolt.Tx) error {
		m, err := tx.CreateBucketIfNotExists([]byte("meta"))
		if err != nil {
			return err
		}
		return m.Put([]byte("schema"), v)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestOpenNewerSchema(t *testing.T) {
	db, path := mustCreate(t, nil)
	mustClose(t, db)
	setSchema(t, path, []byte{0, 0, 0, 0, 0, 0, 0, store.Schema + 1})
	before := readFile(t, path)

	for _, ro := range []bool{false, true} {
		_, err := store.Open(path, &store.Options{ReadOnly: ro})
		if !errors.Is(err, store.ErrNewerSchema) {
			t.Fatalf("read-only %v: got %v, want ErrNewerSchema", ro, err)
		}
		want := fmt.Sprintf("database %s has schema %d, newer than this toolmap (schema %d): upgrade toolmap", path, store.Schema+1, store.Schema)
		if got := err.Error(); got != want {
			t.Errorf("message:\n got %q\nwant %q", got, want)
		}
	}
	if !bytes.Equal(before, readFile(t, path)) {
		t.Error("refusing a newer schema changed the file")
	}
}

func TestOpenBadSchemaValue(t *testing.T) {
	db, path := mustCreate(t, nil)
	mustClose(t, db)
	setSchema(t, path, []byte{1})
	if _, err := store.Open(path, nil); !errors.Is(err, store.ErrCorrupt) {
		t.Errorf("got %v, want ErrCorrupt", err)
	}
}

func TestOpenMigratesSchema0(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, path string)
	}{
		{"bare bbolt file", func(t *testing.T, path string) {
			if err := rawBolt(t, path, false).Close(); err != nil {
				t.Fatal(err)
			}
		}},
		{"meta bucket without a schema", func(t *testing.T, path string) {
			b := rawBolt(t, path, false)
			err := b.Update(func(tx *bbolt.Tx) error {
				m, err := tx.CreateBucket([]byte("meta"))
				if err != nil {
					return err
				}
				if _, err := tx.CreateBucket([]byte("sessions")); err != nil {
					return err
				}
				return m.Put([]byte("note"), []byte("kept"))
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
		}},
		{"empty file", func(t *testing.T, path string) {
			if err := os.WriteFile(path, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "old.db")
			tt.prepare(t, path)

			// Read-only cannot migrate.
			if _, err := store.Open(path, &store.Options{ReadOnly: true}); err == nil || !strings.Contains(err.Error(), "open it once without read-only") {
				t.Errorf("read-only Open of schema 0: got %v, want an error asking to open it read-write", err)
			}

			def, clk := testDef(t), newClock()
			db := mustOpen(t, path, &store.Options{Now: clk.Now})
			run(t, db, def, clk, 1, devRun...)
			mustClose(t, db)

			names, schema := bucketsAndSchema(t, path)
			if diff := cmp.Diff(allBuckets, names); diff != "" {
				t.Errorf("buckets (-want +got):\n%s", diff)
			}
			if schema != store.Schema {
				t.Errorf("schema = %d, want %d", schema, store.Schema)
			}
			if got := contents(t, path)["responses"]; got != 1 {
				t.Errorf("responses after migration = %d, want 1", got)
			}
		})
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOpenNotBolt(t *testing.T) {
	pattern := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*7 + 3)
		}
		return b
	}
	// A real database with both meta pages damaged: bbolt's own check.
	damaged := func(t *testing.T) []byte {
		db, path := mustCreate(t, nil)
		mustClose(t, db)
		b := readFile(t, path)
		ps := os.Getpagesize()
		b[72]++    // meta 0 checksum
		b[ps+72]++ // meta 1 checksum
		return b
	}
	tests := []struct {
		name string
		data func(t *testing.T) []byte
	}{
		{"text", func(*testing.T) []byte { return []byte("role,tools\ndev,git\n") }},
		{"one page", func(*testing.T) []byte { return pattern(4096) }},
		{"under two pages", func(*testing.T) []byte { return pattern(5000) }},
		{"zeros", func(*testing.T) []byte { return make([]byte, 16384) }},
		{"64 KiB", func(*testing.T) []byte { return pattern(1 << 16) }},
		{"damaged meta pages", damaged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "answers.db")
			data := tt.data(t)
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, 0o644); err != nil { // whatever the umask
				t.Fatal(err)
			}
			for _, ro := range []bool{false, true} {
				db, err := store.Open(path, &store.Options{ReadOnly: ro})
				if err == nil {
					db.Close()
					t.Fatalf("read-only %v: Open succeeded", ro)
				}
				if !errors.Is(err, store.ErrCorrupt) {
					t.Errorf("read-only %v: got %v, want ErrCorrupt", ro, err)
				}
				if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, "will not be overwritten") {
					t.Errorf("read-only %v: message %q should name the file and say it will not be overwritten", ro, msg)
				}
			}
			if !bytes.Equal(data, readFile(t, path)) {
				t.Error("the file changed")
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode().Perm(); got != 0o644 {
				t.Errorf("mode changed to %v", got)
			}
		})
	}
}

// u64 is v as 8 big-endian bytes, as the store writes numbers.
func u64(v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b[:]
}
