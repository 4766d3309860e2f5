package e2e

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"kassa/kassatest"
	"kassa/merchants"
)

// TestInvitationByEmail: an owner invites a salesperson, who gets the link
// by email (through a real SMTP server), chooses a password on the page it
// opens and can then sign in.
func TestInvitationByEmail(t *testing.T) {
	t.Parallel()
	e := setup(t, kassatest.StartMailpit(t))
	owner := e.Login(t, e.Owner)
	var out struct {
		InviteUser struct {
			InviteURL  string                `json:"inviteUrl"`
			UserErrors []kassatest.UserError `json:"userErrors"`
		} `json:"inviteUser"`
	}
	e.GraphQLAs(t, owner, `mutation { inviteUser(input: {email: "sam@snickeri.test", name: "Sam Säljare", role: SALES}) { inviteUrl userErrors { code } } }`, nil).Decode(t, &out)
	require.Empty(t, out.InviteUser.UserErrors)

	mails := e.mail.WaitTo(t, "sam@snickeri.test", "Inbjudan till Snickeri Nord AB", 1)
	require.Len(t, mails, 1)
	m := e.mail.Message(t, mails[0].ID)
	require.Contains(t, m.Text, e.Owner.Name+" har bjudit in dig till Snickeri Nord AB i kassa, som säljare.")
	require.Contains(t, m.Text, out.InviteUser.InviteURL, "the email carries the invitation's link")
	require.Contains(t, m.HTML, `href="`+out.InviteUser.InviteURL+`"`)
	require.Equal(t, "Snickeri Nord AB", m.From.Name)

	// The invitee follows the link from the email.
	link := regexp.MustCompile(`https?://\S+/invite/[A-Za-z0-9_-]+`).FindString(m.Text)
	u, err := url.Parse(link)
	require.NoError(t, err)
	b := e.NewBrowser(t)
	page := b.Get(t, u.Path)
	require.Equal(t, http.StatusOK, page.Status)
	require.Contains(t, page.Body, "Snickeri Nord AB")
	form := url.Values{"csrf_token": {kassatest.Field(t, page.Body, "csrf_token")}, "name": {"Sam Säljare"},
		"password": {"sam-password-1234"}}
	done := b.Post(t, u.Path, form)
	require.Equal(t, http.StatusSeeOther, done.Status, done.Body)
	e.Login(t, kassatest.Staff{Email: "sam@snickeri.test", Password: "sam-password-1234"})

	// Someone who already signs in to kassa, for another merchant, is told
	// to accept with that password, not to choose one.
	_, err = e.Server.Merchants().Create(context.Background(), merchants.NewMerchant{Name: "Annan AB", OwnerEmail: "olle@annan.test",
		OwnerName: "Olle", OwnerPassword: "olle-password-1234"})
	require.NoError(t, err)
	e.GraphQLAs(t, owner, `mutation { inviteUser(input: {email: "olle@annan.test", role: SALES}) { inviteUrl userErrors { code } } }`, nil).Decode(t, &out)
	require.Empty(t, out.InviteUser.UserErrors)
	m = e.mail.Message(t, e.mail.WaitTo(t, "olle@annan.test", "Inbjudan", 1)[0].ID)
	require.Contains(t, m.Text, "Godkänn inbjudan med ditt befintliga lösenord för kassa här")
	require.NotContains(t, m.Text, "Välj ditt lösenord")

	// An API key's invitation says who invites in general terms.
	e.GraphQL(t, `mutation { inviteUser(input: {email: "ada@snickeri.test", role: ADMIN}) { inviteUrl userErrors { code } } }`, nil).Decode(t, &out)
	require.Empty(t, out.InviteUser.UserErrors)
	m = e.mail.Message(t, e.mail.WaitTo(t, "ada@snickeri.test", "Inbjudan", 1)[0].ID)
	require.True(t, strings.Contains(m.Text, "Du har blivit inbjuden till Snickeri Nord AB i kassa, som administratör."), m.Text)
}
