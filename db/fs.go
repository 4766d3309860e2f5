package db

import "io/fs"

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err)
	}
	return sub
}

// MigrationsFS is the embedded migrations (for tests that fingerprint them).
func MigrationsFS() fs.FS { return mustSub(migrations, "migrations") }
