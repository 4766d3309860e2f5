package server

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"kassa/auth"
	"kassa/mailer"
)

// mailInvites sends each invitation to the person invited, in the
// merchant's language, queued in the invitation's own transaction.
func mailInvites(a *auth.Service, m *mailer.Mailer, publicURL string) {
	a.OnInvite(func(ctx context.Context, tx *sqlx.Tx, inv auth.Invited) error {
		var merchant struct {
			Name     string `db:"name"`
			Locale   string `db:"locale"`
			TimeZone string `db:"time_zone"`
		}
		if err := tx.GetContext(ctx, &merchant, `SELECT name, locale, time_zone FROM merchants WHERE id = $1`, inv.MerchantID); err != nil {
			return err
		}
		loc, err := time.LoadLocation(merchant.TimeZone)
		if err != nil {
			loc = time.UTC
		}
		d := inviteMail{Lang: merchant.Locale, Accent: "#0b5fff", MerchantName: merchant.Name, Name: inv.Name, InvitedBy: inv.InvitedBy,
			Role: roleName(inv.Role, merchant.Locale), URL: publicURL + "/invite/" + inv.Token, HasPassword: inv.HasPassword,
			Expires: inv.ExpiresAt.In(loc).Format("2006-01-02 15:04")}
		d.Title = d.MerchantName
		r, err := mailer.Render("invite", d.Lang, d)
		if err != nil {
			return fmt.Errorf("invite email: %w", err)
		}
		_, err = m.EnqueueTx(ctx, tx, mailer.Message{MerchantID: inv.MerchantID, FromName: merchant.Name, To: inv.Email, ToName: inv.Name,
			Subject: r.Subject, Text: r.Text, HTML: r.HTML, Kind: "invite"})
		return err
	})
}

type inviteMail struct {
	Lang, Title, Accent           string
	MerchantName, Name, InvitedBy string
	Role, URL, Expires            string
	HasPassword                   bool
}

func roleName(r auth.Role, locale string) string {
	sv := map[auth.Role]string{auth.RoleOwner: "ägare", auth.RoleAdmin: "administratör", auth.RoleSales: "säljare"}
	en := map[auth.Role]string{auth.RoleOwner: "owner", auth.RoleAdmin: "administrator", auth.RoleSales: "salesperson"}
	if locale == "en" {
		return en[r]
	}
	return sv[r]
}
