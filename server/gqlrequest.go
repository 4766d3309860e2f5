package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// gqlRequest is what the HTTP layer must know of a GraphQL request before
// executing it: whether it is a mutation, how many root fields it asks for
// (rate limits count aliased mutations one by one; an idempotency key
// covers exactly one), and a canonical hash of what it asks.
type gqlRequest struct {
	Operation  ast.Operation // "" when it cannot be told (gqlgen reports the error)
	RootFields int
	Hash       []byte
	// BodyError says what is wrong with a JSON body that does not decode
	// (where, never what it holds), for the error presenter to show
	// instead of gqlgen's message, which quotes the whole body back.
	BodyError string
}

type gqlRequestKey struct{}

func gqlRequestFrom(ctx context.Context) *gqlRequest {
	r, _ := ctx.Value(gqlRequestKey{}).(*gqlRequest)
	return r
}

type rawParams struct {
	Query         string          `json:"query"`
	OperationName string          `json:"operationName"`
	Variables     json.RawMessage `json:"variables"`
	Extensions    struct {
		PersistedQuery *struct {
			Sha256Hash string `json:"sha256Hash"`
		} `json:"persistedQuery"`
	} `json:"extensions"`
}

// summaries caches the parse of a query document: parsing once per distinct
// document, not per request.
type summaries struct {
	cache graphql.Cache[*ast.QueryDocument]
	apq   graphql.Cache[string]
}

// inspect reads the request (restoring the body for the next handler) and
// attaches a gqlRequest to the context. Malformed requests pass through
// untouched: the GraphQL transport answers them with its own 4xx, and the
// error presenter replaces its words about a body that is not JSON (see
// BodyError).
func (s *summaries) inspect(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p rawParams
		var bodyError string
		switch r.Method {
		case http.MethodGet:
			q := r.URL.Query()
			p.Query = q.Get("query")
			p.OperationName = q.Get("operationName")
			p.Variables = json.RawMessage(q.Get("variables"))
		case http.MethodPost:
			mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if mt != "application/json" && mt != "application/graphql-response+json" {
				break
			}
			body, err := io.ReadAll(r.Body)
			if err != nil {
				var tooBig *http.MaxBytesError
				if errors.As(err, &tooBig) {
					writeError(w, r, http.StatusRequestEntityTooLarge, ErrRequestTooLarge, "the request body is too large")
					return
				}
				writeError(w, r, http.StatusBadRequest, ErrBadRequest, "the request body could not be read")
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			if err := json.Unmarshal(body, &p); err != nil {
				bodyError = invalidJSONMessage(err)
			}
		}
		if p.Query == "" && p.Extensions.PersistedQuery != nil {
			if q, ok := s.apq.Get(r.Context(), p.Extensions.PersistedQuery.Sha256Hash); ok {
				p.Query = q
			}
		}
		req := &gqlRequest{BodyError: bodyError}
		if r.Header.Get(IdempotencyHeader) != "" {
			// Only a keyed request is compared with an earlier one: hashing
			// costs a decode and an encode of the variables.
			req.Hash = hashParams(p)
		}
		if p.Query != "" {
			req.Operation, req.RootFields = s.summarize(r.Context(), p.Query, p.OperationName)
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), gqlRequestKey{}, req)))
	})
}

// invalidJSONMessage says what is wrong with a request body and where,
// never what it holds: the body may carry a card number or a password, and
// json's own messages quote parts of it.
func invalidJSONMessage(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("the request body is not valid JSON (error at byte offset %d)", syntax.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("the request body is not a GraphQL request: query and operationName must be strings, "+
			"variables and extensions objects (error at byte offset %d)", typ.Offset)
	}
	return "the request body is not valid JSON"
}

func (s *summaries) summarize(ctx context.Context, query, opName string) (ast.Operation, int) {
	doc, ok := s.cache.Get(ctx, query)
	if !ok {
		var err error
		doc, err = parser.ParseQuery(&ast.Source{Input: query})
		if err != nil {
			return "", 0
		}
		// The executor's cache holds validated documents; this one only
		// parsed ones, so keep them apart.
		s.cache.Add(ctx, query, doc)
	}
	var op *ast.OperationDefinition
	if opName == "" {
		if len(doc.Operations) != 1 {
			return "", 0
		}
		op = doc.Operations[0]
	} else if op = doc.Operations.ForName(opName); op == nil {
		return "", 0
	}
	return op.Operation, countFields(doc, op.SelectionSet)
}

// countFields counts the fields a selection set selects at its own level,
// looking through fragments: the distinct response keys (alias or name),
// since GraphQL merges fields with the same key into one execution. Each
// named fragment is walked once, so the work is linear in the document
// (this runs before authentication) and no nesting hides a field.
func countFields(doc *ast.QueryDocument, set ast.SelectionSet) int {
	keys := map[string]struct{}{}
	seen := map[string]bool{}
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			switch sel := sel.(type) {
			case *ast.Field:
				if strings.HasPrefix(sel.Name, "__") {
					continue
				}
				key := sel.Alias
				if key == "" {
					key = sel.Name
				}
				keys[key] = struct{}{}
			case *ast.InlineFragment:
				walk(sel.SelectionSet)
			case *ast.FragmentSpread:
				if seen[sel.Name] {
					continue
				}
				seen[sel.Name] = true
				if f := doc.Fragments.ForName(sel.Name); f != nil {
					walk(f.SelectionSet)
				}
			}
		}
	}
	walk(set)
	return len(keys)
}

// hashParams hashes the query, operation name and variables canonically
// (variables re-encoded with sorted keys), so that a client retrying with
// the same variables in another key order is the same request.
func hashParams(p rawParams) []byte {
	var vars any
	if len(p.Variables) > 0 {
		dec := json.NewDecoder(bytes.NewReader(p.Variables))
		dec.UseNumber()
		_ = dec.Decode(&vars)
	}
	canon, _ := json.Marshal(struct {
		Q string `json:"q"`
		O string `json:"o"`
		V any    `json:"v"`
	}{p.Query, p.OperationName, vars})
	h := sha256.Sum256(canon)
	return h[:]
}
