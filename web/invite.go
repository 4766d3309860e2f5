package web

import (
	"net/http"
	"strings"

	"kassa/auth"
	"kassa/fault"
)

// The invitation page (/invite/{token}) speaks the invitation's language,
// the merchant's, in which the invitation email was written, else the
// browser's; and offers the name the inviter gave, which the invitee may
// correct.

// inviteTexts are the invitation page's words.
var inviteTexts = map[string]map[string]string{
	"sv": {
		"title":               "Godkänn inbjudan",
		"heading":             "Gå med i %s",
		"invited":             "Du har blivit inbjuden som",
		"passwordHave":        "Ditt lösenord för kassa",
		"name":                "Ditt namn",
		"passwordChoose":      "Välj ett lösenord (minst 10 tecken)",
		"accept":              "Godkänn",
		"goneTitle":           "Inbjudan gäller inte",
		"gone":                "Inbjudan har gått ut, har redan använts eller har dragits tillbaka. Be om en ny.",
		"WEAK_PASSWORD":       "Lösenordet måste vara 10–200 tecken.",
		"INVALID_CREDENTIALS": "Lösenordet stämmer inte.",
		"INVALID_NAME":        "Namnet får vara högst 200 tecken på en rad.",
		"formTitle":           "Formuläret har gått ut",
		"form":                "Formuläret har gått ut eller kom inte från kassa. Gå tillbaka, ladda om sidan och försök igen.",
	},
	"en": {
		"title":               "Accept invitation",
		"heading":             "Join %s",
		"invited":             "You were invited as",
		"passwordHave":        "Your kassa password",
		"name":                "Your name",
		"passwordChoose":      "Choose a password (at least 10 characters)",
		"accept":              "Accept",
		"goneTitle":           "Invitation not valid",
		"gone":                "This invitation has expired, was already used or was withdrawn. Ask for a new one.",
		"WEAK_PASSWORD":       "The password must be 10 to 200 characters.",
		"INVALID_CREDENTIALS": "The password is not right.",
		"INVALID_NAME":        "The name may be at most 200 characters on one line.",
		"formTitle":           "Form expired",
		"form":                "This form has expired or did not come from kassa. Go back, reload the page and try again.",
	},
}

func (p *Pages) inviteForm(w http.ResponseWriter, r *http.Request) {
	info, err := p.auth.LookupInvitation(r.Context(), r.PathValue("token"))
	if err != nil {
		p.inviteGone(w, r, err)
		return
	}
	p.renderInvite(w, r, http.StatusOK, info, info.Name, "")
}

func (p *Pages) renderInvite(w http.ResponseWriter, r *http.Request, status int, info auth.InvitationInfo, name, errMsg string) {
	lang := pickLang(r, info.Locale)
	t := inviteTexts[lang]
	p.render(w, r, status, "invite.html", map[string]any{"CSRF": p.csrfToken(w, r), "Invite": info, "Name": name, "Error": errMsg,
		"Lang": lang, "T": t, "Heading": strings.Replace(t["heading"], "%s", info.MerchantName, 1)})
}

func (p *Pages) inviteGone(w http.ResponseWriter, r *http.Request, err error) {
	if _, ok := fault.As(err); !ok {
		p.log.ErrorContext(r.Context(), "invitation", "error", err)
	}
	t := inviteTexts[pickLang(r, "")]
	p.render(w, r, http.StatusGone, "message.html", map[string]any{"Title": t["goneTitle"], "Message": t["gone"], "Lang": pickLang(r, "")})
}

func (p *Pages) acceptInvite(w http.ResponseWriter, r *http.Request) {
	if !checkCSRF(r) {
		lang := pickLang(r, "")
		p.render(w, r, http.StatusForbidden, "message.html", map[string]any{
			"Title": inviteTexts[lang]["formTitle"], "Message": inviteTexts[lang]["form"], "Lang": lang,
		})
		return
	}
	token := r.PathValue("token")
	info, err := p.auth.LookupInvitation(r.Context(), token)
	if err != nil {
		p.inviteGone(w, r, err)
		return
	}
	name := r.PostFormValue("name")
	_, session, err := p.auth.AcceptInvitation(r.Context(), token, name, r.PostFormValue("password"), clientIP(r), r.UserAgent())
	if err != nil {
		f, ok := fault.As(err)
		if !ok || f.Code == fault.ErrNotFound.Code {
			p.inviteGone(w, r, err)
			return
		}
		msg := inviteTexts[pickLang(r, info.Locale)][f.Code]
		if msg == "" {
			msg = f.Message
		}
		p.renderInvite(w, r, http.StatusUnprocessableEntity, info, name, msg)
		return
	}
	p.setSession(w, session)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
