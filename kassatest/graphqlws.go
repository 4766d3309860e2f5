package kassatest

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// WSMessage is a message of the graphql-transport-ws protocol.
type WSMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// WriteWS sends m on conn.
func WriteWS(t *testing.T, ctx context.Context, conn *websocket.Conn, m WSMessage) {
	t.Helper()
	b, err := json.Marshal(m)
	require.NoError(t, err)
	require.NoError(t, conn.Write(ctx, websocket.MessageText, b))
}

// DialGraphQL opens a graphql-transport-ws connection to e's /graphql
// with header (a session cookie, say) and sends connection_init with init
// as its payload (an Authorization, say). It returns the connection,
// closed when t ends, and the server's answer to the init: its Type is
// "closed: …" when the server closed the connection instead.
func (e *Env) DialGraphQL(t *testing.T, ctx context.Context, header http.Header, init map[string]string) (*websocket.Conn, WSMessage) {
	t.Helper()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.URL, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: header})
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.CloseNow() })
	require.Equal(t, "graphql-transport-ws", conn.Subprotocol())
	if init == nil {
		init = map[string]string{}
	}
	payload, err := json.Marshal(init)
	require.NoError(t, err)
	WriteWS(t, ctx, conn, WSMessage{Type: "connection_init", Payload: payload})
	_, b, err := conn.Read(ctx)
	if err != nil {
		return conn, WSMessage{Type: "closed: " + err.Error()}
	}
	var ack WSMessage
	require.NoError(t, json.Unmarshal(b, &ack))
	return conn, ack
}

// Subscription is a running GraphQL subscription. Updates receives the
// subscription's field of each "next" message, decoded as T, and is
// closed when the connection ends; Errs receives what breaks or ends the
// subscription: an "error" or "complete", a payload with errors, a
// message that is not JSON.
type Subscription[T any] struct {
	Updates chan T
	Errs    chan string
}

// Subscribe subscribes on conn (whose init was acknowledged) to query,
// whose data holds field, and reads the connection in the background,
// answering the server's pings, until it ends.
func Subscribe[T any](t *testing.T, ctx context.Context, conn *websocket.Conn, field, query string, vars map[string]any) *Subscription[T] {
	t.Helper()
	payload, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	require.NoError(t, err)
	WriteWS(t, ctx, conn, WSMessage{ID: "1", Type: "subscribe", Payload: payload})
	s := &Subscription[T]{Updates: make(chan T, 100), Errs: make(chan string, 10)}
	go func() {
		defer close(s.Updates)
		for {
			_, b, err := conn.Read(ctx)
			if err != nil {
				return
			}
			var m WSMessage
			if json.Unmarshal(b, &m) != nil {
				s.Errs <- "not JSON: " + string(b)
				return
			}
			switch m.Type {
			case "ping":
				_ = conn.Write(ctx, websocket.MessageText, []byte(`{"type":"pong"}`))
			case "next":
				var p struct {
					Data   map[string]json.RawMessage `json:"data"`
					Errors []GraphQLError             `json:"errors"`
				}
				var u T
				if json.Unmarshal(m.Payload, &p) != nil || len(p.Errors) > 0 || json.Unmarshal(p.Data[field], &u) != nil {
					s.Errs <- "next: " + string(m.Payload)
					continue
				}
				s.Updates <- u
			case "error", "complete":
				s.Errs <- m.Type + ": " + string(m.Payload)
				return
			}
		}
	}()
	return s
}
