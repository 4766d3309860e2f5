package resolvers

import (
	"context"

	"github.com/google/uuid"

	"kassa/auth"
	"kassa/db"
	"kassa/fault"
	"kassa/graph/model"
)

// MaxPageSize bounds `first` on every connection.
const MaxPageSize = 100

// pageFor is how every list query starts: who asks, and which page.
func pageFor(ctx context.Context, first *int, after *string) (*auth.Principal, db.Page, error) {
	p, err := principal(ctx)
	if err != nil {
		return nil, db.Page{}, err
	}
	page, err := pageOf(first, after)
	return p, page, err
}

func pageOf(first *int, after *string) (db.Page, error) {
	n := 20
	if first != nil {
		n = *first
	}
	if n < 1 || n > MaxPageSize {
		return db.Page{}, &fault.Error{Code: ErrInvalidPageSize, Field: []string{"first"}, Message: "first must be between 1 and 100"}
	}
	a, err := parseCursor(after)
	if err != nil {
		return db.Page{}, err
	}
	return db.Page{After: a, Limit: n}, nil
}

// connection builds edges and page info for rows already trimmed to a page.
func connection[T, E any](rows []T, more bool, idOf func(T) uuid.UUID, edge func(cursor string, node T) E) ([]E, *model.PageInfo) {
	edges := make([]E, len(rows))
	info := &model.PageInfo{HasNextPage: more}
	for i, r := range rows {
		c := cursorOf(idOf(r))
		edges[i] = edge(c, r)
		if i == len(rows)-1 {
			info.EndCursor = &c
		}
	}
	return edges, info
}
