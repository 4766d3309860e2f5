package server

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"kassa/fault"
	"kassa/graph"
	"kassa/graph/model"
	"kassa/text"
)

// Every text a caller sends is checked once, here at the edge, before any
// resolver runs: NUL bytes and invalid UTF-8 (which PostgreSQL refuses, so
// they used to surface as INTERNAL), control characters other than tab and
// line breaks, and texts longer than any field takes. A mutation answers
// with its payload's userErrors naming the field (and nothing changes); a
// query answers with an error coded INVALID_TEXT. Rules about a particular
// field (one line, at most 500 characters) stay with the domain.

// maxText is longer than any text field kassa keeps.
const maxText = 64 << 10

// fieldCodes keep the codes some fields had before the edge checked them,
// which integrations already handle.
var fieldCodes = map[string]fault.Code{"idempotencyKey": fault.ErrInvalidIdempotencyKey}

// codeFor is the code of a bad text at path.
func codeFor(path []string) fault.Code {
	if len(path) > 0 {
		if c, ok := fieldCodes[path[len(path)-1]]; ok {
			return c
		}
	}
	return ErrInvalidText
}

// longFields may be longer than maxText: their own domain bounds them with
// a code of its own (a logo: LOGO_TOO_LARGE).
var longFields = map[string]bool{"logoBase64": true}

// badText says what is wrong with s, the text of field, or "" when nothing
// is.
func badText(field, s string) string {
	if len(s) > maxText && !longFields[field] {
		return fmt.Sprintf("is longer than %d bytes", maxText)
	}
	return text.Problem(s)
}

// findBadText walks a field's arguments as sent and returns the path of the
// first bad text and what is wrong with it.
func findBadText(path []string, v any) ([]string, string) {
	switch x := v.(type) {
	case string:
		field := ""
		if len(path) > 0 {
			field = path[len(path)-1]
		}
		if why := badText(field, x); why != "" {
			return path, why
		}
	case map[string]any:
		for k, e := range x {
			if p, why := findBadText(append(path[:len(path):len(path)], k), e); why != "" {
				return p, why
			}
		}
	case []any:
		for i, e := range x {
			if p, why := findBadText(append(path[:len(path):len(path)], strconv.Itoa(i)), e); why != "" {
				return p, why
			}
		}
	}
	return nil, ""
}

// payloadTypes maps each mutation (lower-cased, as gqlgen's method names
// differ from the schema's field names only in case) to its payload type.
var payloadTypes = func() map[string]reflect.Type {
	out := map[string]reflect.Type{}
	t := reflect.TypeOf((*graph.MutationResolver)(nil)).Elem()
	for i := range t.NumMethod() {
		m := t.Method(i)
		if m.Type.NumOut() == 2 && m.Type.Out(0).Kind() == reflect.Pointer {
			if f, ok := m.Type.Out(0).Elem().FieldByName("UserErrors"); ok && f.Type == reflect.TypeOf([]model.UserError(nil)) {
				out[strings.ToLower(m.Name)] = m.Type.Out(0)
			}
		}
	}
	return out
}()

// textGuard is the field middleware that applies badText to the arguments
// of every root field.
func textGuard(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil || fc.Field.ObjectDefinition == nil {
		return next(ctx)
	}
	root := fc.Field.ObjectDefinition.Name
	if root != "Mutation" && root != "Query" && root != "Subscription" {
		return next(ctx)
	}
	args := fc.Field.ArgumentMap(graphql.GetOperationContext(ctx).Variables)
	path, why := findBadText(nil, map[string]any(args))
	if why == "" {
		return next(ctx)
	}
	msg := fmt.Sprintf("%s %s", strings.Join(path, "."), why)
	if pt, ok := payloadTypes[strings.ToLower(fc.Field.Name)]; ok && root == "Mutation" {
		v := reflect.New(pt.Elem())
		v.Elem().FieldByName("UserErrors").Set(reflect.ValueOf([]model.UserError{{Field: path, Message: msg, Code: codeFor(path).String()}}))
		return v.Interface(), nil
	}
	return nil, &fault.Error{Code: codeFor(path), Field: path, Message: msg}
}
