package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/ast"

	"kassa/graph"
	"kassa/kassatest"
)

// hostile are texts no field takes: each must come back as a userError
// (mutations) or an INVALID_TEXT error (queries), never INTERNAL, and change
// nothing.
var hostile = map[string]string{
	"NUL":          "Anna\x00Andersson",
	"Bell":         "Anna\aAndersson",
	"Escape":       "Anna\x1b[31mAndersson",
	"C1":           "Anna\u0085Andersson",
	"TooLong":      strings.Repeat("å", 40_000), // 80 000 bytes, inside the body limit
	"NULOnly":      "\x00",
	"DELCharacter": "Anna\x7f",
}

// sample builds a value of type t for a request: text fields get text,
// everything else the simplest valid value, so the request passes GraphQL
// validation and reaches the edge's text check.
func sample(s *ast.Schema, t *ast.Type, text string, depth int) any {
	if t.Elem != nil {
		return []any{sample(s, t.Elem, text, depth)}
	}
	def := s.Types[t.NamedType]
	switch {
	case def == nil:
		return nil
	case def.Kind == ast.Enum:
		return def.EnumValues[0].Name
	case def.Kind == ast.InputObject:
		if depth > 4 {
			return nil
		}
		m := map[string]any{}
		for _, f := range def.Fields {
			m[f.Name] = sample(s, f.Type, text, depth+1)
		}
		return m
	}
	switch t.NamedType {
	case "String", "ID":
		return text
	case "Int", "Int64":
		return 1
	case "Float":
		return 1.0
	case "Boolean":
		return false
	case "Time":
		return "2026-12-03T12:00:00Z"
	}
	return text
}

// takesText reports whether any argument, or any field of an input
// object among them, is text (String or ID): a query that takes none
// (salesOverview takes two times) has nothing hostile text could enter.
func takesText(s *ast.Schema, args ast.ArgumentDefinitionList) bool {
	var text func(t *ast.Type, depth int) bool
	text = func(t *ast.Type, depth int) bool {
		if t.Elem != nil {
			return text(t.Elem, depth)
		}
		if t.NamedType == "String" || t.NamedType == "ID" {
			return true
		}
		if def := s.Types[t.NamedType]; def != nil && def.Kind == ast.InputObject && depth <= 4 {
			for _, f := range def.Fields {
				if text(f.Type, depth+1) {
					return true
				}
			}
		}
		return false
	}
	for _, a := range args {
		if text(a.Type, 0) {
			return true
		}
	}
	return false
}

// Every mutation and query, driven with hostile text in all its text
// inputs at once, answers with a clear error the caller can act on. (One
// whose arguments hold no text, such as updateMyPreferences with its one
// enum or salesOverview with its two times, has nothing to refuse; it must
// still never fail inside.)
func TestEveryTextInputIsCheckedAtTheEdge(t *testing.T) {
	t.Parallel()
	e := kassatest.Start(t, kassatest.RateLimit(100000, 100000))
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	before := e.Count(t, `SELECT (SELECT count(*) FROM orders) + (SELECT count(*) FROM payments) + (SELECT count(*) FROM api_keys)
		+ (SELECT count(*) FROM payment_links) + (SELECT count(*) FROM webhook_endpoints) + (SELECT count(*) FROM subscriptions)`)
	for _, root := range []*ast.Definition{schema.Mutation, schema.Query} {
		for _, f := range root.Fields {
			if strings.HasPrefix(f.Name, "__") || len(f.Arguments) == 0 {
				continue
			}
			for name, text := range hostile {
				t.Run(root.Name+"/"+f.Name+"/"+name, func(t *testing.T) {
					var decl, use []string
					vars := map[string]any{}
					for _, a := range f.Arguments {
						decl = append(decl, fmt.Sprintf("$%s: %s", a.Name, a.Type.String()))
						use = append(use, fmt.Sprintf("%s: $%s", a.Name, a.Name))
						vars[a.Name] = sample(schema, a.Type, text, 0)
					}
					sel := ""
					if def := schema.Types[f.Type.Name()]; def != nil && (def.Kind == ast.Object || def.Kind == ast.Interface || def.Kind == ast.Union) {
						sel = "{ __typename }"
						if def.Fields.ForName("userErrors") != nil {
							sel = "{ userErrors { field message code } }"
						}
					}
					op := strings.ToLower(root.Name)
					q := fmt.Sprintf("%s(%s) { %s(%s) %s }", op, strings.Join(decl, ", "), f.Name, strings.Join(use, ", "), sel)
					r := e.GraphQL(t, q, vars)
					require.Less(t, r.Status, 500, "%s: %s", q, r.Raw)
					for _, ge := range r.Errors {
						require.NotEqual(t, "INTERNAL", ge.Extensions["code"], "%s: %s", q, r.Raw)
					}
					if root == schema.Mutation && takesText(schema, f.Arguments) && strings.Contains(sel, "userErrors") && len(r.Errors) == 0 {
						var data map[string]struct {
							UserErrors []kassatest.UserError `json:"userErrors"`
						}
						require.NoError(t, json.Unmarshal(r.Data, &data), string(r.Raw))
						require.NotEmpty(t, data[f.Name].UserErrors, "%s must refuse %s: %s", f.Name, name, r.Raw)
						require.Contains(t, []string{"INVALID_TEXT", "INVALID_IDEMPOTENCY_KEY"}, data[f.Name].UserErrors[0].Code, "%s: %s", f.Name, r.Raw)
						require.Greater(t, len(data[f.Name].UserErrors[0].Field), 0, "the userError names the field")
					}
					if root == schema.Query && takesText(schema, f.Arguments) {
						require.NotEmpty(t, r.Errors, "%s must refuse %s: %s", f.Name, name, r.Raw)
						require.Contains(t, []any{"INVALID_TEXT", "INVALID_IDEMPOTENCY_KEY"}, r.Errors[0].Extensions["code"], "%s: %s", f.Name, r.Raw)
					}
				})
			}
		}
	}
	after := e.Count(t, `SELECT (SELECT count(*) FROM orders) + (SELECT count(*) FROM payments) + (SELECT count(*) FROM api_keys)
		+ (SELECT count(*) FROM payment_links) + (SELECT count(*) FROM webhook_endpoints) + (SELECT count(*) FROM subscriptions)`)
	require.Equal(t, before, after, "hostile text changed nothing")
}

// A payload with userErrors carries no object, and each userError names a
// field that exists in the input: a description with a line break made an
// ACTIVE link whose URL was 404, beside an error on input.lines.0.description.
func TestRefusedPaymentLinkIsNotMade(t *testing.T) {
	t.Parallel()
	e := kassatest.Start(t)
	links := e.Count(t, `SELECT count(*) FROM payment_links`)
	var out struct {
		C struct {
			PaymentLink *struct{ ID, URL, Status string } `json:"paymentLink"`
			UserErrors  []kassatest.UserError             `json:"userErrors"`
		} `json:"createPaymentLink"`
	}
	e.GraphQL(t, `mutation($in: CreatePaymentLinkInput!) { createPaymentLink(input: $in) { paymentLink { id url status } userErrors { field message code } } }`,
		map[string]any{"in": map[string]any{"amount": 10000, "description": "Bokhylla\nmed dörrar"}}).Decode(t, &out)
	require.Nil(t, out.C.PaymentLink, "no link beside an error")
	require.Len(t, out.C.UserErrors, 1)
	require.Equal(t, "INVALID_DESCRIPTION", out.C.UserErrors[0].Code)
	require.Equal(t, []string{"input", "description"}, out.C.UserErrors[0].Field)
	require.Equal(t, links, e.Count(t, `SELECT count(*) FROM payment_links`), "no link was made")
}

// Text that JSON cannot carry reaches the edge another way: raw bytes in a
// GET query's inline literal (invalid UTF-8 reached PostgreSQL through the
// orders search filter), and a string as large as the body allows.
// Neither is ever an internal error.
func TestTextOutsideJSONIsRefusedToo(t *testing.T) {
	t.Parallel()
	e := kassatest.Start(t)
	t.Run("InvalidUTF8InAGetQuery", func(t *testing.T) {
		q := "{ orders(first: 5, filter: {search: \"Bok\xff\xfehylla\"}) { edges { node { id } } } }"
		req, err := http.NewRequest(http.MethodGet, e.URL+"/graphql?query="+url.QueryEscape(q), nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+e.APIKey)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		var r kassatest.Response
		require.NoError(t, json.NewDecoder(res.Body).Decode(&r))
		require.Less(t, res.StatusCode, 500)
		require.NotEmpty(t, r.Errors)
		for _, ge := range r.Errors {
			require.NotEqual(t, "INTERNAL", ge.Extensions["code"], "%+v", r.Errors)
		}
	})
	t.Run("OneMebibyteString", func(t *testing.T) {
		body, err := json.Marshal(map[string]any{"query": `mutation($in: CreateApiKeyInput!) { createApiKey(input: $in) { userErrors { code } } }`,
			"variables": map[string]any{"in": map[string]any{"name": strings.Repeat("a", 1<<20)}}})
		require.NoError(t, err)
		req, err := http.NewRequest(http.MethodPost, e.URL+"/graphql", bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+e.APIKey)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		msg, _ := io.ReadAll(res.Body)
		require.Equal(t, http.StatusRequestEntityTooLarge, res.StatusCode, "%s", msg)
		require.Contains(t, string(msg), "too large")
	})
}
