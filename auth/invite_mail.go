package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"kassa/mailer"
)

// MailInvites sends each invitation to the person invited, in the
// merchant's language, queued in the invitation's own transaction; the
// link in it leads to publicURL's /invite page. Call it before serving,
// after UseMerchants.
func (s *Service) MailInvites(m *mailer.Mailer, publicURL string) {
	s.OnInvite(func(ctx context.Context, tx *sqlx.Tx, inv Invited) error {
		merchants, err := s.merchantRows()
		if err != nil {
			return err
		}
		merchant, err := merchants.ProfileTx(ctx, tx, inv.MerchantID)
		if err != nil {
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

func roleName(r Role, locale string) string {
	sv := map[Role]string{RoleOwner: "ägare", RoleAdmin: "administratör", RoleSales: "säljare"}
	en := map[Role]string{RoleOwner: "owner", RoleAdmin: "administrator", RoleSales: "salesperson"}
	if locale == "en" {
		return en[r]
	}
	return sv[r]
}
