package store

import (
	"bytes"
	"errors"
	"testing"
)

func TestAsyncWriterPassesEverythingOnInOrder(t *testing.T) {
	var want, got bytes.Buffer
	a := newAsyncWriter(&got)
	for i := range 5000 {
		p := bytes.Repeat([]byte{byte(i)}, i%700+1)
		want.Write(p)
		if n, err := a.Write(p); n != len(p) || err != nil {
			t.Fatalf("write %d: %d, %v", i, n, err)
		}
	}
	big := bytes.Repeat([]byte("x"), 3*asyncBlock+17) // more than a block at once
	want.Write(big)
	if _, err := a.Write(big); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Errorf("passed on %d bytes, differing from the %d written", got.Len(), want.Len())
	}
	if err := a.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

type failAfter struct {
	n   int
	err error
}

func (f *failAfter) Write(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, f.err
	}
	f.n--
	return len(p), nil
}

func TestAsyncWriterReportsTheWritersError(t *testing.T) {
	full := errors.New("disk full")
	a := newAsyncWriter(&failAfter{n: 1, err: full})
	block := make([]byte, asyncBlock)
	var err error
	for i := 0; i < 4 && err == nil; i++ {
		_, err = a.Write(block)
	}
	if !errors.Is(err, full) {
		t.Errorf("Write: %v, want the writer's error", err)
	}
	if err := a.Close(); !errors.Is(err, full) {
		t.Errorf("Close: %v, want the writer's error", err)
	}
	// An error in the last block shows at Close.
	a = newAsyncWriter(&failAfter{err: full})
	if _, err := a.Write([]byte("short")); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); !errors.Is(err, full) {
		t.Errorf("Close: %v, want the writer's error", err)
	}
}
