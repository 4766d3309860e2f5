package auth

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"kassa/db"
	"kassa/fault"
	"kassa/gid"
)

// Membership statuses.
const (
	StatusActive      = "ACTIVE"
	StatusInvited     = "INVITED"
	StatusDeactivated = "DEACTIVATED"
)

// User is a person as a member of one merchant.
type User struct {
	MerchantID  gid.MerchantID `db:"merchant_id"`
	ID          uuid.UUID      `db:"id"`
	Email       string         `db:"email"`
	Name        string         `db:"name"`
	Role        Role           `db:"role"`
	Status      string         `db:"status"`
	CreatedAt   time.Time      `db:"created_at"`
	LastLoginAt *time.Time     `db:"last_login_at"`
	// Locale is the dashboard language the person chose ("sv", "en"); nil
	// until they choose.
	Locale *string `db:"locale"`
}

const userColumns = `m.merchant_id, u.id, u.email, u.name, m.role, m.status, m.created_at, u.last_login_at, u.locale`
const userFrom = ` FROM memberships m JOIN users u ON u.id = m.user_id `

// NewUser is what CreateUser and InviteUser take.
type NewUser struct {
	Email    string
	Name     string
	Role     Role
	Password string // CreateUser only
}

const minPasswordLen, maxPasswordLen = 10, 200

func (n *NewUser) normalize(withPassword bool) error {
	n.Email = strings.TrimSpace(n.Email)
	n.Name = strings.TrimSpace(n.Name)
	if err := ValidateEmail(n.Email); err != nil {
		return err
	}
	if utf8.RuneCountInString(n.Name) > 200 || strings.ContainsAny(n.Name, "\r\n") {
		return fault.Invalid("name", fault.ErrInvalidName, "name must be at most 200 characters on one line")
	}
	if !n.Role.Valid() {
		return fault.Invalid("role", ErrInvalidRole, "role must be OWNER, ADMIN or SALES")
	}
	if withPassword {
		return validatePassword(n.Password)
	}
	return nil
}

func validatePassword(pw string) error {
	if n := utf8.RuneCountInString(pw); n < minPasswordLen || len(pw) > maxPasswordLen {
		return fault.Invalid("password", ErrWeakPassword, "password must be %d to %d characters", minPasswordLen, maxPasswordLen)
	}
	return nil
}

// ValidateEmail accepts a plain address (no display name, no CR/LF).
func ValidateEmail(email string) error {
	if len(email) < 3 || len(email) > 254 || strings.ContainsAny(email, "\r\n<> ,;") {
		return fault.Invalid("email", fault.ErrInvalidEmail, "email is not a valid address")
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || !strings.Contains(email[strings.LastIndexByte(email, '@')+1:], ".") {
		return fault.Invalid("email", fault.ErrInvalidEmail, "email is not a valid address")
	}
	return nil
}

// mayGrant reports whether actor may give or take role from someone: only
// owners (and API keys) manage owners; admins manage admins and sales.
func mayGrant(actor *Principal, role Role) bool {
	if role == RoleOwner {
		return actor.HasRole(RoleOwner)
	}
	return actor.HasRole(RoleOwner, RoleAdmin)
}

// CreateUser creates a person with a password and makes them an active
// member of the actor's merchant.
//
// Errors: fault.ErrForbidden; fault.Error codes INVALID_EMAIL, INVALID_NAME,
// INVALID_ROLE, WEAK_PASSWORD, EMAIL_TAKEN.
func (s *Service) CreateUser(ctx context.Context, actor *Principal, in NewUser) (User, error) {
	if err := in.normalize(true); err != nil {
		return User{}, err
	}
	if !mayGrant(actor, in.Role) {
		return User{}, fault.ErrForbidden
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return User{}, err
	}
	var u User
	err = s.db.InTenant(ctx, actor.MerchantID, func(tx *sqlx.Tx) error {
		var err error
		u, err = s.CreateUserTx(ctx, tx, actor.MerchantID, in, hash, nullable(actor.UserID))
		return err
	})
	return u, err
}

// CreateUserTx inserts a new person and an active membership in the
// caller's tenant transaction. passwordHash comes from HashPassword.
func (s *Service) CreateUserTx(ctx context.Context, tx *sqlx.Tx, merchantID gid.MerchantID, in NewUser, passwordHash string, invitedBy *uuid.UUID) (User, error) {
	now := s.now().UTC()
	u := User{MerchantID: merchantID, ID: uuid.Must(uuid.NewV7()), Email: in.Email, Name: in.Name, Role: in.Role, Status: StatusActive, CreatedAt: now}
	if _, err := tx.ExecContext(ctx, `SAVEPOINT create_user`); err != nil {
		return User{}, err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO users (id, email, name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)`,
		u.ID, u.Email, u.Name, passwordHash, now)
	if db.ConstraintName(err) == "users_email_key" {
		_, _ = tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT create_user`)
		return User{}, fault.Invalid("email", ErrEmailTaken, "a user with this email already exists; invite them instead")
	}
	if err != nil {
		return User{}, err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO memberships (merchant_id, user_id, role, status, invited_by, created_at, updated_at) VALUES ($1, $2, $3, 'ACTIVE', $4, $5, $5)`,
		merchantID, u.ID, u.Role, invitedBy, now)
	return u, err
}

// ManagerEmailsTx returns the email addresses of the active owners and
// admins of the merchant that the tenant transaction tx acts for (row-level
// security scopes the memberships to it), oldest membership first: the
// people told of what needs a manager.
func ManagerEmailsTx(ctx context.Context, tx *sqlx.Tx) ([]string, error) {
	var to []string
	err := tx.SelectContext(ctx, &to, `
		SELECT u.email FROM memberships ms JOIN users u ON u.id = ms.user_id
		WHERE ms.status = 'ACTIVE' AND ms.role IN ('OWNER', 'ADMIN') ORDER BY ms.created_at`)
	return to, err
}

// Invitation is a pending membership and the secret token that accepts it.
type Invitation struct {
	User  User
	Token string
}

// InviteUser makes an invitation for email to join the actor's merchant
// with role. A person who already has a login (for another merchant) keeps
// it and accepts with their password; a new person chooses one.
//
// Errors: fault.ErrForbidden; codes INVALID_EMAIL, INVALID_NAME,
// INVALID_ROLE, ALREADY_MEMBER.
func (s *Service) InviteUser(ctx context.Context, actor *Principal, in NewUser) (Invitation, error) {
	if err := in.normalize(false); err != nil {
		return Invitation{}, err
	}
	if !mayGrant(actor, in.Role) {
		return Invitation{}, fault.ErrForbidden
	}
	now := s.now().UTC()
	token, tokenHash := newToken()
	// Whether this person already has a login is a deliberate cross-tenant
	// lookup: people are global.
	var existing struct {
		ID          uuid.UUID `db:"id"`
		HasPassword bool      `db:"has_password"`
	}
	err := s.db.InSystem(ctx, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &existing, `SELECT id, password_hash IS NOT NULL AS has_password FROM users WHERE lower(email) = lower($1)`, in.Email)
		if db.IsNoRows(err) {
			return nil
		}
		return err
	})
	if err != nil {
		return Invitation{}, err
	}
	var u User
	err = s.db.InTenant(ctx, actor.MerchantID, func(tx *sqlx.Tx) error {
		userID := existing.ID
		if userID == uuid.Nil {
			userID = uuid.Must(uuid.NewV7())
			if _, err := tx.ExecContext(ctx, `INSERT INTO users (id, email, name, created_at) VALUES ($1, $2, $3, $4)`,
				userID, in.Email, in.Name, now); err != nil {
				if db.ConstraintName(err) == "users_email_key" {
					return fault.Invalid("email", ErrEmailTaken, "a user with this email was just created; try again")
				}
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `
			INSERT INTO memberships (merchant_id, user_id, role, status, invite_token_hash, invite_expires_at, invited_by, created_at, updated_at)
			VALUES ($1, $2, $3, 'INVITED', $4, $5, $6, $7, $7)`,
			actor.MerchantID, userID, in.Role, tokenHash, now.Add(s.cfg.InviteTTL), nullable(actor.UserID), now)
		if db.ConstraintName(err) == "memberships_pkey" {
			return fault.Invalid("email", ErrAlreadyMember, "this person is already a member or invited")
		}
		if err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &u, `SELECT `+userColumns+userFrom+` WHERE m.user_id = $1`, userID); err != nil {
			return err
		}
		inv := Invited{MerchantID: actor.MerchantID, Email: u.Email, Name: u.Name, Role: in.Role, Token: token,
			ExpiresAt: now.Add(s.cfg.InviteTTL), HasPassword: existing.HasPassword}
		if actor.UserID != uuid.Nil {
			if err := tx.GetContext(ctx, &inv.InvitedBy, `SELECT name FROM users WHERE id = $1`, actor.UserID); err != nil {
				return err
			}
		}
		for _, fn := range s.invited {
			if err := fn(ctx, tx, inv); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Invitation{}, err
	}
	return Invitation{User: u, Token: token}, nil
}

// InvitationInfo describes an open invitation for the page that accepts it.
type InvitationInfo struct {
	MerchantName string
	Email        string
	HasPassword  bool
	Name         string // the name the inviter gave, to prefill
	Locale       string // the merchant's language, which the invitation email spoke
}

// LookupInvitation finds an open invitation by its token.
//
// Errors: fault.ErrNotFound when unknown, used or expired.
func (s *Service) LookupInvitation(ctx context.Context, token string) (InvitationInfo, error) {
	var info InvitationInfo
	err := s.db.InSystem(ctx, func(tx *sqlx.Tx) error {
		var merchantID gid.MerchantID
		if err := tx.QueryRowxContext(ctx, `
			SELECT m.merchant_id, u.email, u.password_hash IS NOT NULL, u.name
			FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE m.invite_token_hash = $1 AND m.status = 'INVITED' AND m.invite_expires_at > $2`,
			hashToken(token), s.now().UTC()).Scan(&merchantID, &info.Email, &info.HasPassword, &info.Name); err != nil {
			return err
		}
		merchants, err := s.merchantRows()
		if err != nil {
			return err
		}
		m, err := merchants.ProfileTx(ctx, tx, merchantID)
		info.MerchantName, info.Locale = m.Name, m.Locale
		return err
	})
	if db.IsNoRows(err) {
		return info, fault.NotFound("invitation")
	}
	return info, err
}

// AcceptInvitation activates the membership. A new person sets password
// (and may set name); a person with a login proves it with their password.
// It returns a session for the new membership.
//
// Errors: fault.ErrNotFound; codes INVALID_NAME, WEAK_PASSWORD,
// INVALID_CREDENTIALS.
func (s *Service) AcceptInvitation(ctx context.Context, token, name, password, ip, userAgent string) (Session, string, error) {
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > 200 || strings.ContainsAny(name, "\r\n") {
		return Session{}, "", fault.Invalid("name", fault.ErrInvalidName, "name must be at most 200 characters on one line")
	}
	now := s.now().UTC()
	var merchantID gid.MerchantID
	var userID uuid.UUID
	var hash *string
	var email string
	var lockedUntil *time.Time
	err := s.db.InSystem(ctx, func(tx *sqlx.Tx) error {
		return tx.QueryRowxContext(ctx, `
			SELECT m.merchant_id, m.user_id, u.password_hash, u.email, u.locked_until
			FROM memberships m JOIN users u ON u.id = m.user_id
			WHERE m.invite_token_hash = $1 AND m.status = 'INVITED' AND m.invite_expires_at > $2
			FOR UPDATE OF m`, hashToken(token), now).Scan(&merchantID, &userID, &hash, &email, &lockedUntil)
	})
	if db.IsNoRows(err) {
		return Session{}, "", fault.NotFound("invitation")
	}
	if err != nil {
		return Session{}, "", err
	}
	var newHash string
	if hash == nil {
		if err := validatePassword(password); err != nil {
			return Session{}, "", err
		}
		if newHash, err = HashPassword(password); err != nil {
			return Session{}, "", err
		}
	} else {
		// Whoever holds the link may guess the person's password here as
		// at /login: the same throttle and lock apply.
		end, wait := s.throttle.begin(email, ip, now)
		if wait > 0 {
			return Session{}, "", newThrottled(wait)
		}
		outcome, err := s.verify(ctx, userID, *hash, lockedUntil, password, now)
		end(outcome)
		if errors.Is(err, ErrInvalidCredentials) {
			return Session{}, "", fault.New(ErrInvalidCredentials.Code, "the password is not right")
		}
		if err != nil {
			return Session{}, "", err
		}
	}
	err = s.db.InSystem(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `
			UPDATE memberships SET status = 'ACTIVE', invite_token_hash = NULL, invite_expires_at = NULL, updated_at = $3
			WHERE merchant_id = $1 AND user_id = $2 AND status = 'INVITED'`, merchantID, userID, now)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fault.NotFound("invitation")
		}
		if newHash != "" {
			_, err = tx.ExecContext(ctx, `UPDATE users SET password_hash = $2, name = CASE WHEN $3 = '' THEN name ELSE $3 END WHERE id = $1`, userID, newHash, name)
		}
		return err
	})
	if err != nil {
		return Session{}, "", err
	}
	return s.createSession(ctx, merchantID, userID, ip, userAgent)
}

// Users lists the merchant's members, newest first.
func (s *Service) Users(ctx context.Context, merchantID gid.MerchantID, page db.Page) ([]User, bool, error) {
	var users []User
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &users, `SELECT `+userColumns+userFrom+` WHERE m.user_id < $1 ORDER BY m.user_id DESC LIMIT $2`,
			page.AfterOrMax(), page.Fetch())
	})
	users, more := db.Trim(page, users)
	return users, more, err
}

// UsersByID loads members by id.
func (s *Service) UsersByID(ctx context.Context, merchantID gid.MerchantID, ids []uuid.UUID) (map[uuid.UUID]User, error) {
	var users []User
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		q, args, err := sqlx.In(`SELECT `+userColumns+userFrom+` WHERE m.user_id IN (?)`, ids)
		if err != nil {
			return err
		}
		return tx.SelectContext(ctx, &users, tx.Rebind(q), args...)
	})
	out := make(map[uuid.UUID]User, len(users))
	for _, u := range users {
		out[u.ID] = u
	}
	return out, err
}

// UpdateUserRole changes a member's role.
//
// Errors: fault.ErrNotFound, fault.ErrForbidden; codes INVALID_ROLE,
// LAST_OWNER.
func (s *Service) UpdateUserRole(ctx context.Context, actor *Principal, userID uuid.UUID, role Role) (User, error) {
	if !role.Valid() {
		return User{}, fault.Invalid("role", ErrInvalidRole, "role must be OWNER, ADMIN or SALES")
	}
	return s.changeMember(ctx, actor, userID, func(tx *sqlx.Tx, u *User) error {
		if !mayGrant(actor, u.Role) || !mayGrant(actor, role) {
			return fault.ErrForbidden
		}
		if u.Role == RoleOwner && role != RoleOwner {
			if err := s.keepAnOwner(ctx, tx, u.MerchantID, u.ID); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE memberships SET role = $2, updated_at = $3 WHERE user_id = $1`, u.ID, role, s.now().UTC())
		u.Role = role
		return err
	})
}

// DeactivateUser ends a member's access to the merchant and their sessions
// there. Their past actions stay attributed to them.
//
// Errors: fault.ErrNotFound, fault.ErrForbidden; codes CANNOT_DEACTIVATE_SELF,
// LAST_OWNER.
func (s *Service) DeactivateUser(ctx context.Context, actor *Principal, userID uuid.UUID) (User, error) {
	if userID == actor.UserID {
		return User{}, fault.Invalid("userId", ErrCannotDeactivateSelf, "you cannot deactivate yourself")
	}
	return s.changeMember(ctx, actor, userID, func(tx *sqlx.Tx, u *User) error {
		if !mayGrant(actor, u.Role) {
			return fault.ErrForbidden
		}
		if u.Role == RoleOwner {
			if err := s.keepAnOwner(ctx, tx, u.MerchantID, u.ID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE memberships SET status = 'DEACTIVATED', invite_token_hash = NULL, updated_at = $2 WHERE user_id = $1`, u.ID, s.now().UTC()); err != nil {
			return err
		}
		u.Status = StatusDeactivated
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, u.ID)
		return err
	})
}

func (s *Service) changeMember(ctx context.Context, actor *Principal, userID uuid.UUID, change func(tx *sqlx.Tx, u *User) error) (User, error) {
	if !actor.HasRole(RoleOwner, RoleAdmin) {
		return User{}, fault.ErrForbidden
	}
	var u User
	err := s.db.InTenant(ctx, actor.MerchantID, func(tx *sqlx.Tx) error {
		err := tx.GetContext(ctx, &u, `SELECT `+userColumns+userFrom+` WHERE m.user_id = $1 FOR UPDATE OF m`, userID)
		if db.IsNoRows(err) {
			return fault.NotFound("user")
		}
		if err != nil {
			return err
		}
		return change(tx, &u)
	})
	return u, err
}

// keepAnOwner fails unless an active owner other than userID remains.
// Changes that may remove an owner serialize on the merchant's row, so two
// concurrent demotions cannot both pass. (Locking the other owners' rows
// instead deadlocks two owners demoting each other: each already holds the
// row the other wants.) The lock is NO KEY UPDATE (Merchants.LockTx), which
// leaves foreign-key checks unblocked.
func (s *Service) keepAnOwner(ctx context.Context, tx *sqlx.Tx, merchantID gid.MerchantID, userID uuid.UUID) error {
	merchants, err := s.merchantRows()
	if err != nil {
		return err
	}
	if err := merchants.LockTx(ctx, tx, merchantID); err != nil {
		return err
	}
	var others []uuid.UUID
	if err := tx.SelectContext(ctx, &others, `
		SELECT user_id FROM memberships WHERE role = 'OWNER' AND status = 'ACTIVE' AND user_id <> $1`, userID); err != nil {
		return err
	}
	if len(others) == 0 {
		return fault.Invalid("userId", ErrLastOwner, "a merchant must keep at least one active owner")
	}
	return nil
}

func nullable(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

// ResetPassword sets a new password for the person with email, across
// merchants: for the operator's CLI, never for the API.
//
// Errors: fault.ErrNotFound; code WEAK_PASSWORD.
func (s *Service) ResetPassword(ctx context.Context, email, password string) error {
	if err := validatePassword(password); err != nil {
		return err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	return s.db.InSystem(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $2, failed_logins = 0, locked_until = NULL WHERE lower(email) = lower($1)`, email, hash)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fault.NotFound("user")
		}
		return nil
	})
}
