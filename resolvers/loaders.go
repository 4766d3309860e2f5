package resolvers

import (
	"context"
	"net/http"

	"github.com/google/uuid"
	"github.com/vikstrous/dataloadgen"

	"kassa/auth"
)

// loaders batch belongs-to lookups for one request, so a list of N objects
// costs a fixed number of queries whatever N is.
type loaders struct {
	users *dataloadgen.Loader[uuid.UUID, auth.User]
}

type loadersKey struct{}

// WithLoaders returns middleware that gives each request fresh loaders
// (caches never outlive a request, so no one sees stale or foreign data).
func (r *Resolver) WithLoaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ctx := req.Context()
		l := &loaders{
			users: dataloadgen.NewMappedLoader(func(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]auth.User, error) {
				p, err := principal(ctx)
				if err != nil {
					return nil, err
				}
				return r.Auth.UsersByID(ctx, p.MerchantID, ids)
			}),
		}
		next.ServeHTTP(w, req.WithContext(context.WithValue(ctx, loadersKey{}, l)))
	})
}

func loadersFrom(ctx context.Context) *loaders {
	return ctx.Value(loadersKey{}).(*loaders)
}
