package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"kassa/kassatest"
	"kassa/server"
)

// TestHostileNameIsDeliveredEncoded: a name with a quote used to be pasted
// into `"name" <addr>`, which no parser accepts, so the invitation was
// never sent while the mutation said it was. The name reaches the inbox
// as typed.
func TestHostileNameIsDeliveredEncoded(t *testing.T) {
	t.Parallel()
	e := setup(t, kassatest.StartMailpit(t))
	owner := e.Login(t, e.Owner)
	name := `"` + strings.Repeat("a", 100)
	var out struct {
		InviteUser struct {
			UserErrors []kassatest.UserError `json:"userErrors"`
		} `json:"inviteUser"`
	}
	e.GraphQLAs(t, owner, `mutation($name: String!) { inviteUser(input: {email: "quote@snickeri.test", name: $name, role: SALES}) { userErrors { code } } }`,
		map[string]any{"name": name}).Decode(t, &out)
	require.Empty(t, out.InviteUser.UserErrors)

	got := e.mail.WaitTo(t, "quote@snickeri.test", "Inbjudan", 1)
	require.Len(t, got, 1)
	require.Equal(t, name, got[0].To[0].Name, "the display name arrives as typed")
	require.Equal(t, "Snickeri Nord AB", got[0].From.Name)
	e.waitJobsIdle(t)
}

// TestUndeliverableEmailIsGivenUpAndShown: a recipient the mail server
// refuses for good (550) is not retried for days out of sight: the job is
// cancelled after one attempt, counted in /metrics and put in the
// merchant's audit trail with the template and the recipient's domain.
func TestUndeliverableEmailIsGivenUpAndShown(t *testing.T) {
	t.Parallel()
	const metricsToken = "metrics-token-for-the-test"
	mp := kassatest.StartMailpit(t, "--smtp-allowed-recipients", `@snickeri\.test`)
	e := &env{Env: kassatest.Start(t, kassatest.LogLevel("info"), kassatest.SMTP("smtp://"+mp.SMTPAddr),
		kassatest.Configure(func(c *server.Config) { c.MetricsToken = metricsToken })), mail: mp}
	e.Client = &http.Client{Timeout: 60 * time.Second}
	owner := e.Login(t, e.Owner)
	var out struct {
		InviteUser struct {
			UserErrors []kassatest.UserError `json:"userErrors"`
		} `json:"inviteUser"`
	}
	e.GraphQLAs(t, owner, `mutation { inviteUser(input: {email: "sam@refused.test", name: "Sam", role: SALES}) { userErrors { code } } }`, nil).Decode(t, &out)
	require.Empty(t, out.InviteUser.UserErrors)

	var job struct {
		State   string `db:"state"`
		Attempt int    `db:"attempt"`
	}
	eventually(t, 30*time.Second, "the invitation's email job to end", func() bool {
		err := e.SQL.Get(&job, `SELECT state, attempt FROM river_job WHERE kind = 'mailer.send' AND args->'message'->>'to' = 'sam@refused.test'`)
		require.NoError(t, err)
		return job.State != "available" && job.State != "running" && job.State != "scheduled" || job.Attempt > 1
	})
	require.Equal(t, "cancelled", job.State)
	require.Equal(t, 1, job.Attempt, "a permanent refusal is not retried")

	req, err := http.NewRequest(http.MethodGet, e.URL+"/metrics", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+metricsToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, string(body), `kassa_email_undeliverable_total{template="invite"} 1`)

	var trail struct {
		AuditEvents struct {
			Edges []struct {
				Node struct {
					Action string `json:"action"`
					Detail string `json:"detail"`
				} `json:"node"`
			} `json:"edges"`
		} `json:"auditEvents"`
	}
	e.GraphQLAs(t, owner, `{ auditEvents(first: 20) { edges { node { action detail } } } }`, nil).Decode(t, &trail)
	var details []string
	for _, ed := range trail.AuditEvents.Edges {
		if ed.Node.Action == "email.undeliverable" {
			details = append(details, ed.Node.Detail)
		}
	}
	require.Len(t, details, 1, "the merchant sees the email was not delivered")
	require.Contains(t, details[0], "invite")
	require.Contains(t, details[0], "refused.test")
	require.NotContains(t, details[0], "sam@", "the trail names the domain, not the address")
}
