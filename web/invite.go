package web

import (
	"errors"
	"fmt"
	"net/http"

	"kassa/auth"
	"kassa/fault"
	"kassa/text"
)

// The invitation page (/invite/{token}) speaks the invitation's language,
// the merchant's, in which the invitation email was written, else the
// browser's; and offers the name the inviter gave, which the invitee may
// correct.

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
	p.render(w, r, status, "invite.html", map[string]any{"CSRF": p.csrfToken(w, r), "Invite": info, "Name": name, "Error": errMsg,
		"Lang": lang, "T": trSection(lang, "invite."), "Heading": fmt.Sprintf(tr(lang, "invite.heading"), info.MerchantName)})
}

func (p *Pages) inviteGone(w http.ResponseWriter, r *http.Request, err error) {
	if _, ok := fault.As(err); !ok {
		p.log.ErrorContext(r.Context(), "invitation", "error", err)
	}
	lang := pickLang(r, "")
	p.render(w, r, http.StatusGone, "message.html", map[string]any{"Title": tr(lang, "invite.goneTitle"), "Message": tr(lang, "invite.gone"), "Lang": lang})
}

func (p *Pages) acceptInvite(w http.ResponseWriter, r *http.Request) {
	if !p.checkCSRF(r) {
		p.forbidden(w, r)
		return
	}
	token := r.PathValue("token")
	info, err := p.auth.LookupInvitation(r.Context(), token)
	if err != nil {
		p.inviteGone(w, r, err)
		return
	}
	name := r.PostFormValue("name")
	if msg := formProblem(r, pickLang(r, info.Locale)); msg != "" {
		p.renderInvite(w, r, http.StatusUnprocessableEntity, info, text.Clean(name, 200), msg)
		return
	}
	_, session, err := p.auth.AcceptInvitation(r.Context(), token, name, r.PostFormValue("password"), clientIP(r), r.UserAgent())
	if err != nil {
		f, ok := fault.As(err)
		if !ok || errors.Is(err, fault.ErrNotFound) {
			p.inviteGone(w, r, err)
			return
		}
		status, lang := http.StatusUnprocessableEntity, pickLang(r, info.Locale)
		if retryLater(w, err) {
			status = http.StatusTooManyRequests
		}
		msg, ok := texts[lang]["invite."+f.Code.String()]
		if !ok {
			msg = f.Message
		}
		p.renderInvite(w, r, status, info, name, msg)
		return
	}
	p.setSession(w, session)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
