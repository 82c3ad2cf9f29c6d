package app

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// ServeFile is where a running serve leaves its URL: next to the store,
// <db>.serve, removed when it stops. The commands that find the store in
// use read it to name the --url to ask instead.
func ServeFile(db string) string { return db + ".serve" }

// writeServeFile writes url to db's serve file; remove deletes it again
// (only if it still holds url: a later serve may have replaced it).
func writeServeFile(db, url string) (remove func(), err error) {
	path := ServeFile(db)
	if err := os.WriteFile(path, []byte(url+"\n"), 0o644); err != nil {
		return func() {}, fmt.Errorf("write %s: %w", path, err)
	}
	return func() {
		if got, _ := ServedURL(db); got == url {
			_ = os.Remove(path)
		}
	}, nil
}

// ServedURL is the URL a running serve of db left in its serve file ("",
// nil: none).
func ServedURL(db string) (string, error) {
	b, err := os.ReadFile(ServeFile(db))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}
