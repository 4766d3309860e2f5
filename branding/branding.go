package branding

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // registers JPEG for DecodeConfig
	_ "image/png"  // registers PNG for DecodeConfig
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"

	"kassa/auth"
	"kassa/db"
	"kassa/fault"
	"kassa/gid"
	"kassa/merchants"
	"kassa/webhooks/egress"
)

// MaxLogoBytes is the largest logo accepted.
const MaxLogoBytes = 512 << 10

// DefaultAccent is the accent colour of a merchant that chose none.
const DefaultAccent = "#0b5fff"

// Brand is how a merchant presents itself.
type Brand struct {
	MerchantID   gid.MerchantID `db:"merchant_id"`
	MerchantName string         `db:"merchant_name"`
	DisplayName  string         `db:"display_name"`
	AccentColor  string         `db:"accent_color"`
	SupportEmail string         `db:"support_email"`
	SupportPhone string         `db:"support_phone"`
	LogoType     *string        `db:"logo_type"`
	LogoSHA256   *string        `db:"logo_sha256"`
	UpdatedAt    *time.Time     `db:"updated_at"`
}

// Name is what customers see: the display name, else the merchant's name.
func (b Brand) Name() string {
	if b.DisplayName != "" {
		return b.DisplayName
	}
	return b.MerchantName
}

// Accent is the accent colour, #rrggbb.
func (b Brand) Accent() string {
	if b.AccentColor != "" {
		return b.AccentColor
	}
	return DefaultAccent
}

// LogoPath is the path (under kassa's public URL) that serves the logo, or
// "" when there is none.
func (b Brand) LogoPath() string {
	if b.LogoSHA256 == nil {
		return ""
	}
	return "/branding/logo/" + *b.LogoSHA256
}

// ThemePath is the path of the stylesheet that applies the accent colour.
func (b Brand) ThemePath() string {
	return "/branding/theme/" + strings.TrimPrefix(b.Accent(), "#") + ".css"
}

// Config configures the service.
type Config struct {
	DB *db.DB
	// Fetch fetches logos from URLs; it refuses private targets unless
	// built to allow them.
	Fetch *egress.Client
	Log   *slog.Logger
}

// Service is the branding domain.
type Service struct {
	db    *db.DB
	fetch *egress.Client
	log   *slog.Logger
}

// NewService returns the service.
func NewService(cfg Config) *Service {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Fetch == nil {
		cfg.Fetch = egress.New(egress.Options{Timeout: 15 * time.Second})
	}
	return &Service{db: cfg.DB, fetch: cfg.Fetch, log: cfg.Log}
}

const selectBrand = `SELECT coalesce(b.display_name, '') AS display_name,
	coalesce(b.accent_color, '') AS accent_color, coalesce(b.support_email, '') AS support_email,
	coalesce(b.support_phone, '') AS support_phone, b.logo_type, b.logo_sha256, b.updated_at
	FROM merchant_branding b WHERE b.merchant_id = $1`

// Get returns the merchant's brand (defaults when it set none).
//
// Errors: fault.ErrNotFound.
func (s *Service) Get(ctx context.Context, merchantID gid.MerchantID) (Brand, error) {
	var b Brand
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		m, err := merchants.GetTx(ctx, tx, merchantID)
		if err != nil {
			return err
		}
		b, err = s.GetTx(ctx, tx, m)
		return err
	})
	return b, err
}

// Of is Get for a merchant the caller has already read.
func (s *Service) Of(ctx context.Context, m merchants.Merchant) (Brand, error) {
	var b Brand
	err := s.db.InTenant(ctx, m.ID, func(tx *sqlx.Tx) error {
		var err error
		b, err = s.GetTx(ctx, tx, m)
		return err
	})
	return b, err
}

// GetTx is Get in the caller's transaction, for the merchant the caller
// has already read (the brand falls back to its name).
func (s *Service) GetTx(ctx context.Context, tx *sqlx.Tx, m merchants.Merchant) (Brand, error) {
	// Scanned into a fresh value: sqlx allocates the pointer fields before
	// it learns there is no row, and an allocated empty LogoSHA256 would
	// read as a logo.
	var b Brand
	err := tx.GetContext(ctx, &b, selectBrand, m.ID)
	if db.IsNoRows(err) {
		return Brand{MerchantID: m.ID, MerchantName: m.Name}, nil // nothing chosen yet: the defaults
	}
	if err != nil {
		return Brand{}, err
	}
	b.MerchantID, b.MerchantName = m.ID, m.Name
	return b, nil
}

// Update changes some of a brand's fields; nil fields stay, "" clears.
type Update struct {
	DisplayName  *string
	AccentColor  *string
	SupportEmail *string
	SupportPhone *string
	// LogoBase64 is an uploaded logo (PNG or JPEG), base64 (standard or
	// URL-safe, padded or not; a data: URL prefix is allowed).
	LogoBase64 *string
	// LogoURL is where kassa fetches the logo from, once.
	LogoURL    *string
	RemoveLogo bool
}

var (
	colorRE = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
	phoneRE = regexp.MustCompile(`^\+?[0-9 ()./-]{3,40}$`)
)

// Update changes the merchant's brand.
//
// Errors: codes INVALID_DISPLAY_NAME, INVALID_COLOR, INVALID_EMAIL,
// INVALID_PHONE, INVALID_LOGO, LOGO_TOO_LARGE, UNSUPPORTED_LOGO_TYPE,
// LOGO_FETCH_FAILED, CONFLICTING_LOGO_INPUT, and those of egress.CheckURL
// for logoUrl.
func (s *Service) Update(ctx context.Context, merchantID gid.MerchantID, u Update) (Brand, error) {
	set := map[string]any{}
	if u.DisplayName != nil {
		v := strings.TrimSpace(*u.DisplayName)
		if utf8.RuneCountInString(v) > 100 || strings.ContainsAny(v, "\r\n<>") {
			return Brand{}, fault.Invalid("displayName", ErrInvalidDisplayName, "displayName must be at most 100 characters on one line, without < or >")
		}
		set["display_name"] = v
	}
	if u.AccentColor != nil {
		v := strings.TrimSpace(*u.AccentColor)
		if v != "" && !colorRE.MatchString(v) {
			return Brand{}, fault.Invalid("accentColor", ErrInvalidColor, "accentColor must be a colour in the form #rrggbb")
		}
		set["accent_color"] = strings.ToLower(v)
	}
	if u.SupportEmail != nil {
		v := strings.TrimSpace(*u.SupportEmail)
		if v != "" && auth.ValidateEmail(v) != nil {
			return Brand{}, fault.Invalid("supportEmail", fault.ErrInvalidEmail, "supportEmail is not a valid address")
		}
		set["support_email"] = v
	}
	if u.SupportPhone != nil {
		v := strings.TrimSpace(*u.SupportPhone)
		if v != "" && !phoneRE.MatchString(v) {
			return Brand{}, fault.Invalid("supportPhone", fault.ErrInvalidPhone, "supportPhone must be a phone number (digits, spaces, + ( ) - . /)")
		}
		set["support_phone"] = v
	}
	n := 0
	for _, given := range []bool{u.LogoBase64 != nil, u.LogoURL != nil, u.RemoveLogo} {
		if given {
			n++
		}
	}
	if n > 1 {
		return Brand{}, fault.Invalid("logoBase64", ErrConflictingLogoInput, "give one of logoBase64, logoUrl and removeLogo")
	}
	var logo []byte
	var logoType string
	var err error
	switch {
	case u.LogoBase64 != nil:
		if logo, err = decodeBase64(*u.LogoBase64); err != nil {
			return Brand{}, err
		}
		if logoType, err = CheckLogo("logoBase64", logo); err != nil {
			return Brand{}, err
		}
	case u.LogoURL != nil:
		if logo, err = s.fetchLogo(ctx, *u.LogoURL); err != nil {
			return Brand{}, err
		}
		if logoType, err = CheckLogo("logoUrl", logo); err != nil {
			return Brand{}, err
		}
	}
	var b Brand
	err = s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO merchant_branding (merchant_id) VALUES ($1) ON CONFLICT DO NOTHING`, merchantID); err != nil {
			return err
		}
		cols := []string{"updated_at = now()"}
		args := []any{merchantID}
		for _, c := range []string{"display_name", "accent_color", "support_email", "support_phone"} {
			if v, ok := set[c]; ok {
				args = append(args, v)
				cols = append(cols, fmt.Sprintf("%s = $%d", c, len(args)))
			}
		}
		switch {
		case logo != nil:
			sum := sha256.Sum256(logo)
			args = append(args, logo, logoType, hex.EncodeToString(sum[:]))
			cols = append(cols, fmt.Sprintf("logo = $%d, logo_type = $%d, logo_sha256 = $%d", len(args)-2, len(args)-1, len(args)))
		case u.RemoveLogo:
			cols = append(cols, "logo = NULL, logo_type = NULL, logo_sha256 = NULL")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE merchant_branding SET `+strings.Join(cols, ", ")+` WHERE merchant_id = $1`, args...); err != nil {
			return err
		}
		m, err := merchants.GetTx(ctx, tx, merchantID)
		if err != nil {
			return err
		}
		b, err = s.GetTx(ctx, tx, m)
		return err
	})
	return b, err
}

func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "data:") {
		if i := strings.Index(s, ";base64,"); i >= 0 {
			s = s[i+len(";base64,"):]
		}
	}
	// Base64 grows data by 4/3: anything longer cannot fit the limit.
	if len(s) > (MaxLogoBytes/3+1)*4+8 {
		return nil, fault.Invalid("logoBase64", ErrLogoTooLarge, "the logo must be at most %d KiB", MaxLogoBytes>>10)
	}
	s = strings.TrimRight(s, "=")
	b, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil {
		b, err = base64.RawURLEncoding.DecodeString(s)
	}
	if err != nil {
		return nil, fault.Invalid("logoBase64", ErrInvalidLogo, "logoBase64 is not valid base64")
	}
	return b, nil
}

// CheckLogo returns the media type of a logo, which must be a PNG or JPEG
// image of at most MaxLogoBytes and 4096×4096 pixels.
//
// Errors: codes LOGO_TOO_LARGE, UNSUPPORTED_LOGO_TYPE, INVALID_LOGO.
func CheckLogo(field string, b []byte) (string, error) {
	if len(b) > MaxLogoBytes {
		return "", fault.Invalid(field, ErrLogoTooLarge, "the logo must be at most %d KiB", MaxLogoBytes>>10)
	}
	if len(b) == 0 {
		return "", fault.Invalid(field, ErrInvalidLogo, "the logo is empty")
	}
	typ := http.DetectContentType(b)
	switch typ {
	case "image/png", "image/jpeg":
	default:
		head := strings.ToLower(string(b[:min(len(b), 512)]))
		if strings.Contains(head, "<svg") || strings.Contains(typ, "xml") {
			return "", fault.Invalid(field, ErrUnsupportedLogoType, "SVG logos are not accepted (they can carry script); use PNG or JPEG")
		}
		return "", fault.Invalid(field, ErrUnsupportedLogoType, "the logo must be a PNG or JPEG image")
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil || "image/"+format != typ {
		return "", fault.Invalid(field, ErrInvalidLogo, "the logo is not a readable PNG or JPEG image")
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > 4096 || cfg.Height > 4096 {
		return "", fault.Invalid(field, ErrInvalidLogo, "the logo must be at most 4096×4096 pixels")
	}
	// The header is not the image: decode it all (bounded by the size
	// just checked), so a truncated or corrupt file is refused now rather
	// than shown broken to every customer.
	if _, _, err := image.Decode(bytes.NewReader(b)); err != nil {
		return "", fault.Invalid(field, ErrInvalidLogo, "the logo is not a readable PNG or JPEG image")
	}
	return typ, nil
}

func (s *Service) fetchLogo(ctx context.Context, raw string) ([]byte, error) {
	u, err := s.fetch.CheckURL(ctx, "logoUrl", raw)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fault.Invalid("logoUrl", fault.ErrInvalidURL, "logoUrl is not a valid URL")
	}
	req.Header.Set("User-Agent", "kassa-logo-fetcher/1")
	req.Header.Set("Accept", "image/png, image/jpeg")
	resp, err := s.fetch.HTTP.Do(req)
	if err != nil {
		if errors.Is(err, egress.ErrBlocked) {
			return nil, fault.Invalid("logoUrl", egress.ErrPrivateAddress, "logoUrl leads to a private, loopback or link-local address")
		}
		s.log.InfoContext(ctx, "fetch logo", "error", err)
		return nil, fault.Invalid("logoUrl", ErrLogoFetchFailed, "the logo could not be fetched")
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fault.Invalid("logoUrl", ErrLogoFetchFailed, "fetching the logo answered HTTP %d", resp.StatusCode)
	}
	if resp.ContentLength > MaxLogoBytes {
		return nil, fault.Invalid("logoUrl", ErrLogoTooLarge, "the logo must be at most %d KiB", MaxLogoBytes>>10)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxLogoBytes+1))
	if err != nil {
		return nil, fault.Invalid("logoUrl", ErrLogoFetchFailed, "the logo could not be fetched")
	}
	if len(b) > MaxLogoBytes {
		return nil, fault.Invalid("logoUrl", ErrLogoTooLarge, "the logo must be at most %d KiB", MaxLogoBytes>>10)
	}
	return b, nil
}

// Logo returns a stored logo by its SHA-256 (hex), across merchants: the
// hash names the bytes, so whichever merchant holds them serves the same.
//
// Errors: fault.ErrNotFound.
func (s *Service) Logo(ctx context.Context, sha string) ([]byte, string, error) {
	if len(sha) != 64 {
		return nil, "", fault.NotFound("logo")
	}
	if _, err := hex.DecodeString(sha); err != nil {
		return nil, "", fault.NotFound("logo")
	}
	var row struct {
		Logo []byte `db:"logo"`
		Type string `db:"logo_type"`
	}
	err := s.db.InSystem(ctx, func(tx *sqlx.Tx) error {
		return tx.GetContext(ctx, &row, `SELECT logo, logo_type FROM merchant_branding WHERE logo_sha256 = $1 LIMIT 1`, strings.ToLower(sha))
	})
	if db.IsNoRows(err) {
		return nil, "", fault.NotFound("logo")
	}
	return row.Logo, row.Type, err
}
