package db

import "github.com/google/uuid"

// Page asks for one page of a keyset-paginated list, newest first: rows with
// an id below After (uuid.Nil: from the start), at most Limit+1 of them, so
// the caller learns whether another page follows.
type Page struct {
	After uuid.UUID
	Limit int
}

// Fetch is the number of rows to select for p.
func (p Page) Fetch() int { return p.Limit + 1 }

// Trim cuts rows to the page and reports whether more follow.
func Trim[T any](p Page, rows []T) ([]T, bool) {
	if len(rows) > p.Limit {
		return rows[:p.Limit], true
	}
	return rows, false
}

// AfterOrMax returns the bound for "id < $n": After, or the largest UUID
// when the page starts at the top.
func (p Page) AfterOrMax() uuid.UUID {
	if p.After == uuid.Nil {
		return uuid.Max
	}
	return p.After
}
