package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"toolmap/cmd/internal/adminsock"
	"toolmap/store"
)

// How commands reach the database: they open it, or, while the running bot
// holds it, go through the bot's admin endpoint.

// onDB runs direct on cfg's database, opened read-only unless write, or,
// when a running bot holds it, viaBot with a client of the bot's admin
// endpoint. what ends the error when there is no file ("no database to
// back up").
func onDB(cfg Config, what string, write bool, direct func(*store.DB) error, viaBot func(*adminsock.Client) error) error {
	if _, err := os.Stat(cfg.Database); err != nil {
		return fmt.Errorf("no database%s: %w", what, err)
	}
	db, err := store.Open(cfg.Database, &store.Options{ReadOnly: !write})
	switch {
	case errors.Is(err, store.ErrLocked):
		return viaBot(adminsock.NewClient(cfg.AdminSocket()))
	case err != nil:
		return err
	}
	err = direct(db)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	return err
}

// onCopy runs use on a copy of the database the running bot holds, taken
// through its admin endpoint (admin) into a private temporary folder
// (toolmap-NAME-*) and opened read-only; the copy is removed after.
func onCopy(ctx context.Context, admin *adminsock.Client, name string, use func(*store.DB) error) error {
	dir, err := os.MkdirTemp("", "toolmap-"+name+"-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "toolmap.db")
	if err := store.WriteFileAtomic(path, func(w io.Writer) error {
		_, err := streamBackup(ctx, admin, w)
		return err
	}); err != nil {
		return err
	}
	db, err := store.Open(path, &store.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer db.Close()
	return use(db)
}

// streamBackup writes a backup of the database the running bot holds to w.
func streamBackup(ctx context.Context, admin *adminsock.Client, w io.Writer) (int64, error) {
	n, _, err := admin.Stream(ctx, "/backup", nil, w)
	return n, viaBotErr(err)
}

// viaBotErr says that the database is in use when the running bot that
// holds it does not answer.
func viaBotErr(err error) error {
	if errors.Is(err, adminsock.ErrNoAnswer) {
		return fmt.Errorf("the database is in use and %w", err)
	}
	return err
}

// byteSize writes n bytes for people.
func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
