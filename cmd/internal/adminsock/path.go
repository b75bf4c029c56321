package adminsock

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// CheckPath says why sock must not be the admin socket of the database at
// db, whose scheduled backups go to backupDir ("" for none): the endpoint
// replaces a socket left at its path by a crash, and must never replace
// anything else. It refuses the database, the copy the database is
// compacted into, a backup (anything in backupDir) and an existing file
// that is not a socket; why is "" when sock is fine. An error means sock
// could not be looked at.
func CheckPath(sock, db, backupDir string) (why string, err error) {
	sock, db = filepath.Clean(sock), filepath.Clean(db)
	switch {
	case sock == db || sameFile(sock, db):
		return "is the database", nil
	case sock == db+".compact":
		return "is the copy the database is compacted into", nil
	case backupDir != "" && within(filepath.Clean(backupDir), sock):
		return "is in backup.dir, among the backups", nil
	}
	fi, err := os.Lstat(sock)
	switch {
	case err == nil && fi.Mode().Type() != os.ModeSocket:
		return "exists and is not a socket", nil
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return "", err
	}
	return "", nil
}

// sameFile reports whether paths a and b both exist and are one file.
func sameFile(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

// within reports whether path is dir or inside it.
func within(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
