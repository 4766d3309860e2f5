package auth_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"kassa/auth"
	"kassa/db"
	"kassa/db/dbtest"
	"kassa/fault"
	"kassa/gid"
	"kassa/merchants"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// start is where every test's clock begins: all the times auth compares
// come from Config.Now, so tests move through hours and days at will.
var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// testPassword satisfies the password rules; users created by the helpers
// have it.
const testPassword = "correct horse battery"

type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type testBundle struct {
	ctx   context.Context
	db    *db.DB
	svc   *auth.Service
	clock *testClock

	// merchant is a merchant with one owner; system acts for it as an API
	// key does.
	merchant gid.MerchantID
	system   *auth.Principal
	owner    auth.User
}

// setup gives a subtest a service on its own clock and a new merchant with
// an owner, on the test's database d. Subtests share d: row-level security
// keeps their merchants apart and every person has a unique email. A
// subtest that acts on all merchants at once gets a database of its own.
func setup(t *testing.T, d *db.DB) *testBundle { return setupWith(t, d, auth.Config{}) }

// setupWith is setup with cfg; its clock is replaced by the bundle's.
func setupWith(t *testing.T, d *db.DB, cfg auth.Config) *testBundle {
	t.Helper()
	clock := &testClock{now: start}
	cfg.Now = clock.Now
	svc := auth.NewService(d, cfg)
	svc.UseMerchants(merchants.NewService(d, svc))
	b := &testBundle{ctx: context.Background(), db: d, svc: svc, clock: clock}
	b.merchant, b.system = b.newMerchant(t, "Acme AB")
	b.owner = b.createUser(t, b.system, auth.RoleOwner)
	return b
}

// newMerchant inserts a merchant and returns it with a principal that acts
// for it with an API key's full access.
func (b *testBundle) newMerchant(t *testing.T, name string) (gid.MerchantID, *auth.Principal) {
	t.Helper()
	id := gid.Of[gid.MerchantID](uuid.Must(uuid.NewV7()))
	require.NoError(t, b.db.InTenant(b.ctx, id, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(b.ctx, `INSERT INTO merchants (id, name) VALUES ($1, $2)`, id, name)
		return err
	}))
	return id, &auth.Principal{MerchantID: id, Kind: auth.CredentialAPIKey, CredentialID: uuid.Must(uuid.NewV7())}
}

// createUser creates an active member with role and testPassword, and a
// unique email.
func (b *testBundle) createUser(t *testing.T, actor *auth.Principal, role auth.Role) auth.User {
	t.Helper()
	u, err := b.svc.CreateUser(b.ctx, actor, auth.NewUser{Email: uniqueEmail(string(role)), Name: "Test " + string(role), Role: role, Password: testPassword})
	require.NoError(t, err)
	return u
}

// as returns the principal a session of member u would have.
func as(u auth.User) *auth.Principal {
	return &auth.Principal{MerchantID: u.MerchantID, Kind: auth.CredentialSession, CredentialID: u.ID, UserID: u.ID, Role: u.Role, SessionID: uuid.Must(uuid.NewV7()), UserEmail: u.Email}
}

// login logs u in with testPassword and returns the session token.
func (b *testBundle) login(t *testing.T, u auth.User) string {
	t.Helper()
	_, token, err := b.svc.Login(b.ctx, u.Email, testPassword, "192.0.2.1", "test")
	require.NoError(t, err)
	return token
}

// member returns user id as a member of merchant, as the merchant sees it.
func (b *testBundle) member(t *testing.T, merchant gid.MerchantID, id uuid.UUID) auth.User {
	t.Helper()
	users, err := b.svc.UsersByID(b.ctx, merchant, []uuid.UUID{id})
	require.NoError(t, err)
	u, ok := users[id]
	require.True(t, ok, "user %s is no member of merchant %s", id, merchant)
	return u
}

// countSessions counts user's sessions across merchants.
func (b *testBundle) countSessions(t *testing.T, user uuid.UUID) int {
	t.Helper()
	var n int
	require.NoError(t, b.db.InSystem(b.ctx, func(tx *sqlx.Tx) error {
		return tx.GetContext(b.ctx, &n, `SELECT count(*) FROM sessions WHERE user_id = $1`, user)
	}))
	return n
}

func uniqueEmail(prefix string) string {
	return fmt.Sprintf("%s-%s@example.se", prefix, uuid.NewString()[:8])
}

// requireCode asserts that err is a fault.Error with code.
func requireCode(t *testing.T, err error, code fault.Code) {
	t.Helper()
	require.Error(t, err)
	_, ok := fault.As(err)
	require.True(t, ok, "want a fault.Error with code %s, got %T: %v", code, err, err)
	require.ErrorIs(t, err, code)
}
