package embedded

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	_ "modernc.org/sqlite" // the SQLite driver FerretDB itself uses
)

// IndexIDs makes FerretDB find documents by _id through an index. FerretDB 1.24 indexes _id
// under one SQLite expression (_ferretdb_sjson->"_id") but looks it up under another
// (_ferretdb_sjson->'$._id'), so SQLite reads the whole table for every lookup by _id. An
// index on the expression the lookups use, added to each collection's table of database,
// turns them into index searches. It returns how many indexes it added; it is safe to run
// again, also while FerretDB runs, but FerretDB uses an index added while it runs only after
// it starts again.
func (f *Ferret) IndexIDs(ctx context.Context, database string) (int, error) {
	path := filepath.Join(f.dir, database+".sqlite")
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return 0, nil // no collections yet
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		return 0, fmt.Errorf("embedded: open %s: %w", database, err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT table_name FROM "_ferretdb_collections"`)
	if err != nil {
		return 0, fmt.Errorf("embedded: collections of %s: %w", database, err)
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return 0, fmt.Errorf("embedded: collections of %s: %w", database, err)
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("embedded: collections of %s: %w", database, err)
	}
	added := 0
	for _, t := range tables {
		if strings.ContainsRune(t, '"') {
			continue
		}
		name := t + "_guanjia_id"
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?`, name).Scan(&n); err != nil {
			return added, fmt.Errorf("embedded: indexes of %s: %w", t, err)
		}
		if n > 0 {
			continue
		}
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS "%s" ON "%s" (_ferretdb_sjson->'$._id')`, name, t)
		if _, err := db.ExecContext(ctx, q); err != nil {
			return added, fmt.Errorf("embedded: index _id of %s: %w", t, err)
		}
		added++
	}
	return added, nil
}
