package billing_test

import (
	"database/sql"

	_ "github.com/lib/pq"
)

func sqlOpen(url string) (*sql.DB, error) { return sql.Open("postgres", url) }
