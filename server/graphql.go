package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"kassa/auth"
	"kassa/fault"
	"kassa/graph"
	"kassa/resolvers"
)

// requestFlags lets the error presenter tell the idempotency layer that a
// response carries an internal error, so it is not stored as the answer.
type requestFlags struct{ internal atomic.Bool }

type requestFlagsKey struct{}

func flagsFrom(ctx context.Context) *requestFlags {
	f, _ := ctx.Value(requestFlagsKey{}).(*requestFlags)
	return f
}

func (s *Server) newGraphQL(res *resolvers.Resolver, apq graphql.Cache[string]) *handler.Server {
	srv := handler.New(pagedComplexity{graph.NewExecutableSchema(graph.Config{Resolvers: res})})
	srv.AddTransport(transport.Websocket{
		KeepAlivePingInterval: 15 * time.Second,
		// A socket that never authenticates is closed, not kept.
		InitTimeout: 10 * time.Second,
		InitFunc: func(ctx context.Context, init transport.InitPayload) (context.Context, *transport.InitPayload, error) {
			if auth.FromContext(ctx) != nil {
				return ctx, nil, nil // the upgrade request carried a session cookie
			}
			p, err := s.principalFor(ctx, init.Authorization(), nil)
			if err != nil {
				return ctx, nil, errors.New("unauthenticated: send {\"Authorization\": \"Bearer <API key>\"} in connection_init")
			}
			return s.withPrincipal(ctx, p), nil, nil
		},
	})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})

	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	if !s.cfg.Production() {
		srv.Use(extension.Introspection{})
	}
	srv.Use(extension.AutomaticPersistedQuery{Cache: apq})
	// depthLimit first: it refuses fragment fan-out before gqlgen's
	// complexity walk, which takes time exponential in it.
	srv.Use(depthLimit{max: s.cfg.MaxDepth, complexity: s.cfg.Complexity})
	srv.Use(extension.FixedComplexityLimit(s.cfg.Complexity))

	srv.SetErrorPresenter(s.presentError)
	srv.SetRecoverFunc(func(ctx context.Context, p any) error {
		s.log.ErrorContext(ctx, "panic in resolver", "panic", fmt.Sprint(p), "stack", string(debug.Stack()),
			"path", graphql.GetPath(ctx).String())
		if f := flagsFrom(ctx); f != nil {
			f.internal.Store(true)
		}
		return &gqlerror.Error{Message: "internal error", Extensions: map[string]any{"code": ErrInternal.String()}}
	})
	srv.AroundFields(textGuard)
	// Fresh dataloaders for every response, including each event of a
	// subscription, so nothing is served from a stale cache.
	srv.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		return next(res.WithLoaders(ctx))
	})
	srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		oc := graphql.GetOperationContext(ctx)
		start := time.Now()
		name, typ := oc.OperationName, "unknown"
		if oc.Operation != nil {
			typ = string(oc.Operation.Operation)
			if name == "" {
				name = oc.Operation.Name
			}
		}
		if name == "" {
			name = "anonymous"
		}
		// Bound the label set: operation names are client-chosen.
		if len(name) > 64 {
			name = name[:64]
		}
		resp := next(ctx)
		return func(ctx context.Context) *graphql.Response {
			r := resp(ctx)
			if typ != string(ast.Subscription) {
				s.metrics.gqlDuration.WithLabelValues(typ, s.metrics.opLabel(name)).Observe(time.Since(start).Seconds())
			}
			return r
		}
	})
	return srv
}

// presentError shows what the caller can act on and hides the rest: a
// fault.Error keeps its message and code; gqlgen's own parse, validation
// and input errors are kept; anything else is logged with its path and
// shown as "internal error".
func (s *Server) presentError(ctx context.Context, err error) *gqlerror.Error {
	var gqlErr *gqlerror.Error
	fromRequest := errors.As(err, &gqlErr) && gqlErr.Err == nil
	if gqlErr == nil {
		gqlErr = &gqlerror.Error{Message: err.Error()}
	}
	if f, ok := fault.As(err); ok {
		out := &gqlerror.Error{Message: f.Message, Path: gqlErr.Path, Locations: gqlErr.Locations,
			Extensions: map[string]any{"code": f.Code.String()}}
		return out
	}
	if fromRequest && strings.HasPrefix(gqlErr.Message, "json request body could not be decoded") {
		// gqlgen appends the whole body to this message, and the body may
		// hold a card number: say what is wrong, and where, instead.
		msg := "the request body is not a GraphQL request: query and operationName must be strings, variables and extensions objects"
		if q := gqlRequestFrom(ctx); q != nil && q.BodyError != "" {
			msg = q.BodyError
		}
		return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": ErrInvalidJSON.String()}}
	}
	if fromRequest {
		// Produced by gqlgen or gqlparser from the request itself.
		if gqlErr.Extensions == nil {
			gqlErr.Extensions = map[string]any{}
		}
		if _, ok := gqlErr.Extensions["code"]; !ok {
			gqlErr.Extensions["code"] = ErrBadRequest.String()
		}
		return gqlErr
	}
	if gqlErr.Err != nil && gqlErr.Err.Error() == "introspection disabled" {
		// gqlgen's answer to __schema or __type when introspection is off
		// (production): the caller's doing, not ours.
		return &gqlerror.Error{Message: "introspection is disabled", Path: gqlErr.Path, Locations: gqlErr.Locations,
			Extensions: map[string]any{"code": ErrIntrospectionDisabled.String()}}
	}
	if f := flagsFrom(ctx); f != nil {
		f.internal.Store(true)
	}
	if errors.Is(err, context.Canceled) {
		return &gqlerror.Error{Message: "request cancelled", Path: gqlErr.Path, Extensions: map[string]any{"code": ErrCancelled.String()}}
	}
	s.log.ErrorContext(ctx, "graphql internal error", "error", err.Error(), "path", gqlErr.Path.String())
	return &gqlerror.Error{Message: "internal error", Path: gqlErr.Path, Extensions: map[string]any{"code": ErrInternal.String()}}
}

// pagedComplexity makes every connection (a field with a `first`
// argument) cost its page size times the cost of one item; otherwise a
// page of 100 would cost what a page of 1 does.
type pagedComplexity struct{ graphql.ExecutableSchema }

func (p pagedComplexity) Complexity(ctx context.Context, typeName, field string, childComplexity int, args map[string]any) (int, bool) {
	if c, ok := p.ExecutableSchema.Complexity(ctx, typeName, field, childComplexity, args); ok {
		return c, true
	}
	first, ok := args["first"]
	if !ok {
		return 0, false
	}
	n := int64(20) // the schema's default page size
	switch v := first.(type) {
	case int64:
		n = v
	case int:
		n = int64(v)
	case json.Number:
		if i, err := v.Int64(); err == nil {
			n = i
		}
	case float64:
		n = int64(v)
	}
	n = min(max(n, 1), resolvers.MaxPageSize)
	if childComplexity > (math.MaxInt-1)/int(n) {
		return math.MaxInt, true
	}
	return 1 + int(n)*childComplexity, true
}

// depthLimit refuses documents nested deeper than max, before execution.
// It also refuses documents whose fields, fragments expanded, already
// outnumber the complexity limit (each field costs at least 1): gqlgen's
// complexity walk expands every fragment spread anew, so a document of a
// few hundred bytes spreading fragments into fragments would take it
// minutes.
type depthLimit struct{ max, complexity int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = depthLimit{}

func (depthLimit) ExtensionName() string                   { return "DepthLimit" }
func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }
func (d depthLimit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	m := measure(oc.Operation.SelectionSet, map[string]shape{})
	if m.depth > d.max {
		return &gqlerror.Error{
			Message:    fmt.Sprintf("operation is nested %d levels deep, more than the limit of %d", m.depth, d.max),
			Extensions: map[string]any{"code": ErrDepthLimitExceeded.String()},
		}
	}
	if d.complexity > 0 && m.fields > d.complexity {
		return &gqlerror.Error{
			Message:    fmt.Sprintf("operation has complexity of at least %d, which exceeds the limit of %d", m.fields, d.complexity),
			Extensions: map[string]any{"code": ErrComplexityLimitExceeded.String()},
		}
	}
	return nil
}

// shape is how many levels of fields a selection set nests, and how many
// fields it selects with its fragments expanded (saturating at MaxInt).
type shape struct{ depth, fields int }

// selectionDepth returns how many levels of fields set nests.
func selectionDepth(set ast.SelectionSet) int {
	return measure(set, map[string]shape{}).depth
}

// measure measures set. Each named fragment is measured once (its shape
// does not depend on where it is spread), so fan-out through fragments
// costs nothing. Introspection's ofType levels are not counted in the
// depth: a chain of them ends at the schema's few wrapping types whatever
// the document asks, and GraphiQL's introspection query nests eight.
// __schema is not counted in the fields, as gqlgen does not count it in
// the complexity.
func measure(set ast.SelectionSet, fragments map[string]shape) shape {
	var out shape
	for _, sel := range set {
		var m shape
		switch sel := sel.(type) {
		case *ast.Field:
			m = measure(sel.SelectionSet, fragments)
			if sel.Name != "ofType" || sel.ObjectDefinition == nil || sel.ObjectDefinition.Name != "__Type" {
				m.depth++
			}
			if sel.Name == "__schema" {
				m.fields = 0
			} else {
				m.fields = saturatingAdd(m.fields, 1)
			}
		case *ast.InlineFragment:
			m = measure(sel.SelectionSet, fragments)
		case *ast.FragmentSpread:
			var ok bool
			if m, ok = fragments[sel.Name]; !ok && sel.Definition != nil {
				fragments[sel.Name] = shape{} // validation refuses cycles; this only ends one
				m = measure(sel.Definition.SelectionSet, fragments)
				fragments[sel.Name] = m
			}
		}
		out.depth = max(out.depth, m.depth)
		out.fields = saturatingAdd(out.fields, m.fields)
	}
	return out
}

func saturatingAdd(a, b int) int {
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}
