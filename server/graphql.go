package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
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
	"kassa/logging"
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
	srv := handler.New(graph.NewExecutableSchema(graph.Config{Resolvers: res}))
	srv.AddTransport(transport.Websocket{
		KeepAlivePingInterval: 15 * time.Second,
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
	srv.Use(extension.FixedComplexityLimit(s.cfg.Complexity))
	srv.Use(depthLimit{max: s.cfg.MaxDepth})

	srv.SetErrorPresenter(s.presentError)
	srv.SetRecoverFunc(func(ctx context.Context, p any) error {
		s.log.ErrorContext(ctx, "panic in resolver", "panic", fmt.Sprint(p), "stack", string(debug.Stack()),
			"path", graphql.GetPath(ctx).String())
		if f := flagsFrom(ctx); f != nil {
			f.internal.Store(true)
		}
		return &gqlerror.Error{Message: "internal error", Extensions: map[string]any{"code": "INTERNAL"}}
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
			Extensions: map[string]any{"code": f.Code}}
		return out
	}
	if fromRequest {
		// Produced by gqlgen or gqlparser from the request itself.
		if gqlErr.Extensions == nil {
			gqlErr.Extensions = map[string]any{}
		}
		if _, ok := gqlErr.Extensions["code"]; !ok {
			gqlErr.Extensions["code"] = "BAD_REQUEST"
		}
		return gqlErr
	}
	if f := flagsFrom(ctx); f != nil {
		f.internal.Store(true)
	}
	if errors.Is(err, context.Canceled) {
		return &gqlerror.Error{Message: "request cancelled", Path: gqlErr.Path, Extensions: map[string]any{"code": "CANCELLED"}}
	}
	s.log.ErrorContext(ctx, "graphql internal error", "error", err.Error(), "path", gqlErr.Path.String(),
		slog.String("request_id", logging.Attr(ctx, "request_id")))
	return &gqlerror.Error{Message: "internal error", Path: gqlErr.Path, Extensions: map[string]any{"code": "INTERNAL"}}
}

// depthLimit refuses documents nested deeper than max, before execution.
type depthLimit struct{ max int }

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
	if depth := selectionDepth(oc.Operation.SelectionSet, 0, d.max+1); depth > d.max {
		return &gqlerror.Error{
			Message:    fmt.Sprintf("operation is nested %d levels deep, more than the limit of %d", depth, d.max),
			Extensions: map[string]any{"code": "DEPTH_LIMIT_EXCEEDED"},
		}
	}
	return nil
}

func selectionDepth(set ast.SelectionSet, depth, stop int) int {
	if depth >= stop {
		return depth
	}
	deepest := depth
	for _, sel := range set {
		var d int
		switch sel := sel.(type) {
		case *ast.Field:
			if len(sel.SelectionSet) == 0 {
				d = depth + 1
			} else {
				d = selectionDepth(sel.SelectionSet, depth+1, stop)
			}
		case *ast.InlineFragment:
			d = selectionDepth(sel.SelectionSet, depth, stop)
		case *ast.FragmentSpread:
			if sel.Definition != nil {
				d = selectionDepth(sel.Definition.SelectionSet, depth, stop)
			}
		}
		deepest = max(deepest, d)
	}
	return deepest
}
