package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"kassa/graph"
)

// fanOut is a document whose fragments spread the next one k times,
// levels deep: expanded naively it holds k^levels copies of leaf.
func fanOut(op, typ, leaf string, levels, k int) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s { ...F0 }\n", op)
	for i := range levels {
		fmt.Fprintf(&sb, "fragment F%d on %s { ", i, typ)
		for range k {
			if i == levels-1 {
				sb.WriteString(leaf + " ")
			} else {
				fmt.Fprintf(&sb, "...F%d ", i+1)
			}
		}
		sb.WriteString("}\n")
	}
	return sb.String()
}

func TestCountFields(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		query string
		want  int
	}{
		{"Fields", `mutation { a b c }`, 3},
		{"Aliases", `mutation { x: a y: a z: a }`, 3},
		{"SameKeyMergesIntoOne", `mutation { a a(x: 1) }`, 1},
		{"TypenameIsFree", `mutation { __typename a }`, 1},
		{"Fragment", `mutation { a ...F } fragment F on Mutation { b c }`, 3},
		{"FragmentSpreadTwice", `mutation { ...F ...F } fragment F on Mutation { x: b y: b }`, 2},
		{"InlineFragments", `mutation { ... on Mutation { a } ... { b } ... @include(if: true) { c } }`, 3},
		{"NestedFragments", `mutation { ...F } fragment F on Mutation { a ...G } fragment G on Mutation { b ... { c } }`, 3},
		{"DeepInlineFragments", "mutation { " + strings.Repeat("... { ", 50) + "x: a y: a" + strings.Repeat(" }", 50) + " }", 2},
		{"FragmentCycle", `mutation { ...A } fragment A on Mutation { a ...B } fragment B on Mutation { b ...A }`, 2},
		{"UnknownFragment", `mutation { ...Missing a }`, 1},
		{"SubselectionsDoNotCount", `mutation { a { b c d { e } } }`, 1},
		{"FanOut", fanOut("mutation", "Mutation", "a", 30, 10), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := parser.ParseQuery(&ast.Source{Input: tc.query})
			require.NoError(t, err)
			start := time.Now()
			require.Equal(t, tc.want, countFields(doc, doc.Operations[0].SelectionSet))
			require.Less(t, time.Since(start), time.Second)
		})
	}
}

func TestSummarize(t *testing.T) {
	t.Parallel()
	s := &summaries{cache: lru.New[*ast.QueryDocument](10), apq: lru.New[string](10)}
	for _, tc := range []struct {
		name, query, op string
		wantOp          ast.Operation
		wantFields      int
	}{
		{"Query", `{ a b }`, "", ast.Query, 2},
		{"Mutation", `mutation M { a b c }`, "", ast.Mutation, 3},
		{"ChosenOperation", `query Q { a } mutation M { x: b y: b }`, "M", ast.Mutation, 2},
		{"AmbiguousOperation", `query Q { a } mutation M { b }`, "", "", 0},
		{"UnknownOperation", `query Q { a }`, "Nope", "", 0},
		{"SyntaxError", `mutation { a`, "", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for range 2 { // the second time from the cache
				op, n := s.summarize(t.Context(), tc.query, tc.op)
				require.Equal(t, tc.wantOp, op)
				require.Equal(t, tc.wantFields, n)
			}
		})
	}
}

func TestHashParams(t *testing.T) {
	t.Parallel()
	hash := func(query, op, vars string) []byte {
		p := rawParams{Query: query, OperationName: op}
		if vars != "" {
			p.Variables = json.RawMessage(vars)
		}
		return hashParams(p)
	}
	const q = `mutation($a: String, $b: X) { f }`
	base := hash(q, "", `{"a": "1", "b": {"x": 1, "y": [1, 2, {"p": 1, "q": 2}]}}`)
	require.Len(t, base, 32)

	t.Run("KeyOrderAndSpacingDoNotMatter", func(t *testing.T) {
		require.Equal(t, base, hash(q, "", `{"b":{"y":[1,2,{"q":2,"p":1}],"x":1},"a":"1"}`))
		require.Equal(t, base, hash(q, "", "{\n  \"a\" : \"1\",\t\"b\": {\"x\": 1, \"y\": [1, 2, {\"p\": 1, \"q\": 2}]}\n}"))
	})
	t.Run("NullVariablesAreNoVariables", func(t *testing.T) {
		require.Equal(t, hash(q, "", ""), hash(q, "", "null"))
	})
	t.Run("EverythingElseMatters", func(t *testing.T) {
		for name, other := range map[string][]byte{
			"Value":          hash(q, "", `{"a": "2", "b": {"x": 1, "y": [1, 2, {"p": 1, "q": 2}]}}`),
			"ArrayOrder":     hash(q, "", `{"a": "1", "b": {"x": 1, "y": [2, 1, {"p": 1, "q": 2}]}}`),
			"NumberLiteral":  hash(q, "", `{"a": "1", "b": {"x": 1.0, "y": [1, 2, {"p": 1, "q": 2}]}}`),
			"Type":           hash(q, "", `{"a": 1, "b": {"x": 1, "y": [1, 2, {"p": 1, "q": 2}]}}`),
			"Query":          hash(q+" ", "", `{"a": "1", "b": {"x": 1, "y": [1, 2, {"p": 1, "q": 2}]}}`),
			"OperationName":  hash(q, "M", `{"a": "1", "b": {"x": 1, "y": [1, 2, {"p": 1, "q": 2}]}}`),
			"NoVariables":    hash(q, "", ""),
			"ExtraVariable":  hash(q, "", `{"a": "1", "c": null, "b": {"x": 1, "y": [1, 2, {"p": 1, "q": 2}]}}`),
			"QueryInOpField": hash("", q, `{"a": "1", "b": {"x": 1, "y": [1, 2, {"p": 1, "q": 2}]}}`),
		} {
			require.NotEqual(t, base, other, name)
		}
	})
}

func TestCSRFSafe(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		method  string
		headers map[string]string
		safe    bool
	}{
		{"JSON", "POST", map[string]string{"Content-Type": "application/json"}, true},
		{"JSONWithCharset", "POST", map[string]string{"Content-Type": "application/json; charset=utf-8"}, true},
		{"GraphQLResponseJSON", "POST", map[string]string{"Content-Type": "application/graphql-response+json"}, true},
		{"TextPlain", "POST", map[string]string{"Content-Type": "text/plain"}, false},
		{"TextPlainUpperCase", "POST", map[string]string{"Content-Type": "TEXT/PLAIN; charset=UTF-8"}, false},
		{"Form", "POST", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, false},
		{"Multipart", "POST", map[string]string{"Content-Type": "multipart/form-data; boundary=x"}, false},
		{"NoContentType", "POST", nil, false},
		{"MalformedContentType", "POST", map[string]string{"Content-Type": "application/json; ;;=="}, false},
		{"GETWithoutHeader", "GET", nil, false},
		{"GETWithCustomHeader", "GET", map[string]string{"X-Kassa-CSRF": "1"}, true},
		{"TextPlainWithCustomHeader", "POST", map[string]string{"Content-Type": "text/plain", "X-Kassa-CSRF": "1"}, true},
		{"FormWithApolloPreflight", "POST", map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Apollo-Require-Preflight": "true"}, true},
		{"WebsocketSameOrigin", "GET", map[string]string{"Upgrade": "websocket", "Origin": "http://kassa.test"}, true},
		{"WebsocketSameOriginHTTPS", "GET", map[string]string{"Upgrade": "websocket", "Origin": "https://kassa.test"}, true},
		{"WebsocketNoOrigin", "GET", map[string]string{"Upgrade": "websocket"}, true},
		{"WebsocketOtherOrigin", "GET", map[string]string{"Upgrade": "websocket", "Origin": "https://evil.example"}, false},
		{"WebsocketLookalikeOrigin", "GET", map[string]string{"Upgrade": "websocket", "Origin": "http://kassa.test.evil.example"}, false},
		{"WebsocketOtherOriginWithCustomHeader", "GET", map[string]string{"Upgrade": "websocket", "Origin": "https://evil.example", "X-Kassa-CSRF": "1"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, "http://kassa.test/graphql", nil)
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			require.Equal(t, tc.safe, csrfSafe(r))
		})
	}
}

// validated parses and validates query against kassa's schema, as gqlgen
// does before the depth limit sees it.
func validated(t *testing.T, query string) *ast.OperationDefinition {
	t.Helper()
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	doc, errs := gqlparser.LoadQueryWithRules(schema, query, nil) // nil: the default rules
	require.Empty(t, errs)
	return doc.Operations[0]
}

func TestSelectionDepth(t *testing.T) {
	t.Parallel()
	typeRef := "kind name " + strings.Repeat("ofType { kind name ", 8) + strings.Repeat("} ", 8)
	for _, tc := range []struct {
		name  string
		query string
		want  int
	}{
		{"Leaf", `{ __typename }`, 1},
		{"Nested", `{ viewer { merchant { id } } }`, 3},
		{"DeepestBranch", `{ __typename viewer { merchant { id } apiKey { createdBy { id } } } }`, 4},
		{"Fragment", `{ ...V } fragment V on Query { viewer { merchant { id } } }`, 3},
		{"FragmentInside", `{ viewer { ...K } } fragment K on Viewer { apiKey { createdBy { id } } }`, 4},
		{"InlineFragment", `{ viewer { ... on Viewer { merchant { ... { id } } } } }`, 3},
		{"FragmentAtTwoDepths", `{ viewer { user { ...U } apiKey { createdBy { ...U } } } } fragment U on User { id }`, 4},
		{"FragmentAtTwoDepthsDeeperFirst", `{ viewer { apiKey { createdBy { ...U } } user { ...U } } } fragment U on User { id }`, 4},
		{"FanOut", fanOut("query", "Query", "viewer { merchant { id } }", 25, 4), 3},
		{"OfTypeIsNotCounted", `{ __type(name: "ApiKey") { fields { type { ` + typeRef + `} } } }`, 4},
		{"IntrospectionCyclesCount", `{ __schema { types { fields { type { fields { type { name } } } } } } }`, 7},
		{"IntrospectionQuery", strings.ReplaceAll(introspectionForTest, "TYPEREF", typeRef), 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			op := validated(t, tc.query)
			start := time.Now()
			require.Equal(t, tc.want, selectionDepth(op.SelectionSet))
			require.Less(t, time.Since(start), time.Second)
		})
	}

	t.Run("LimitRefusesDeeper", func(t *testing.T) {
		op := validated(t, `{ viewer { apiKey { createdBy { id } } } }`)
		for limit, refused := range map[int]bool{2: true, 3: true, 4: false, 12: false} {
			err := depthLimit{max: limit}.MutateOperationContext(t.Context(), &graphql.OperationContext{Operation: op})
			if refused {
				require.NotNil(t, err, "limit %d", limit)
				require.Equal(t, "DEPTH_LIMIT_EXCEEDED", err.Extensions["code"])
				require.Contains(t, err.Message, "4 levels")
			} else {
				require.Nil(t, err, "limit %d", limit)
			}
		}
	})
}

func TestMeasureFields(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		query string
		want  int
	}{
		{"Fields", `{ viewer { merchant { id name } } }`, 4},
		{"Typename", `{ __typename }`, 1},
		{"SchemaIsFree", `{ __schema { types { name fields { name } } } }`, 0},
		{"Type", `{ __type(name: "ApiKey") { name } }`, 2},
		{"FragmentsExpanded", `{ ...V ...V viewer { merchant { ...M } } } fragment V on Query { viewer { merchant { ...M } } } fragment M on Merchant { id name }`, 3 * 4},
		{"FanOut", fanOut("query", "Query", "viewer { merchant { id } }", 20, 4), 3 * (1 << 40)},
		{"Saturates", fanOut("query", "Query", "__typename", 70, 2), math.MaxInt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			op := validated(t, tc.query)
			start := time.Now()
			require.Equal(t, tc.want, measure(op.SelectionSet, map[string]shape{}).fields)
			require.Less(t, time.Since(start), time.Second)
		})
	}

	t.Run("FanOutIsRefusedBeforeTheComplexityWalk", func(t *testing.T) {
		op := validated(t, fanOut("query", "Query", "viewer { merchant { id } }", 30, 6))
		err := depthLimit{max: 12, complexity: 1000}.MutateOperationContext(t.Context(), &graphql.OperationContext{Operation: op})
		require.NotNil(t, err)
		require.Equal(t, "COMPLEXITY_LIMIT_EXCEEDED", err.Extensions["code"])
		op = validated(t, `{ viewer { merchant { id name } } }`)
		require.Nil(t, depthLimit{max: 12, complexity: 4}.MutateOperationContext(t.Context(), &graphql.OperationContext{Operation: op}))
		require.NotNil(t, depthLimit{max: 12, complexity: 3}.MutateOperationContext(t.Context(), &graphql.OperationContext{Operation: op}))
	})
}

const introspectionForTest = `query {
  __schema {
    queryType { name }
    types {
      kind name
      fields(includeDeprecated: true) { name args { name type { TYPEREF } defaultValue } type { TYPEREF } }
      inputFields { name type { TYPEREF } }
      interfaces { kind name }
      possibleTypes { kind name }
    }
    directives { name locations args { name type { TYPEREF } } }
  }
}`

func TestLimiterTake(t *testing.T) {
	t.Parallel()

	t.Run("BurstThenRefused", func(t *testing.T) {
		l := newLimiter(1, 3)
		for i := range 3 {
			ok, wait := l.take("a", 1)
			require.True(t, ok, "request %d", i+1)
			require.Zero(t, wait)
		}
		ok, wait := l.take("a", 1)
		require.False(t, ok)
		require.Greater(t, wait, time.Duration(0))
		require.LessOrEqual(t, wait, time.Second)
	})

	t.Run("KeysHaveTheirOwnBuckets", func(t *testing.T) {
		l := newLimiter(1, 1)
		ok, _ := l.take("a", 1)
		require.True(t, ok)
		ok, _ = l.take("a", 1)
		require.False(t, ok)
		ok, _ = l.take("b", 1)
		require.True(t, ok)
	})

	t.Run("ManyAtOnce", func(t *testing.T) {
		l := newLimiter(2, 5)
		ok, _ := l.take("a", 5)
		require.True(t, ok, "a whole burst at once")
		l = newLimiter(2, 5)
		ok, wait := l.take("a", 6)
		require.False(t, ok, "more than a burst can never pass")
		require.Equal(t, 3*time.Second, wait)
	})

	t.Run("RefusedTakeCostsNothing", func(t *testing.T) {
		l := newLimiter(0.001, 3)
		ok, _ := l.take("a", 2)
		require.True(t, ok)
		ok, _ = l.take("a", 2)
		require.False(t, ok)
		ok, _ = l.take("a", 1)
		require.True(t, ok, "the refused take used up the last token")
	})

	t.Run("Refills", func(t *testing.T) {
		l := newLimiter(100, 1)
		ok, _ := l.take("a", 1)
		require.True(t, ok)
		ok, wait := l.take("a", 1)
		require.False(t, ok)
		require.LessOrEqual(t, wait, 10*time.Millisecond)
		time.Sleep(wait + 5*time.Millisecond)
		ok, _ = l.take("a", 1)
		require.True(t, ok)
	})

	t.Run("SweepDropsIdleBuckets", func(t *testing.T) {
		l := newLimiter(1, 1)
		l.take("idle", 1)
		l.take("busy", 1)
		l.m["idle"].seen = time.Now().Add(-2 * time.Minute)
		l.sweep(time.Now())
		require.NotContains(t, l.m, "idle")
		require.Contains(t, l.m, "busy")
	})
}

// FuzzInspect feeds arbitrary requests through the inspection every
// GraphQL request passes before authentication: it must never panic, must
// hand the next handler the body unchanged, and must describe the request.
func FuzzInspect(f *testing.F) {
	for _, seed := range []string{
		`{"query": "{ viewer { merchant { id } } }"}`,
		`{"query": "mutation { a: createApiKey(input: {name: \"x\"}) { secret } b: createApiKey(input: {name: \"y\"}) { secret } }"}`,
		`{"query": "mutation M { ...F } fragment F on Mutation { a ...F }", "operationName": "M", "variables": {"b": 1, "a": [1, {"c": null}]}}`,
		`{"query": "query A { a } mutation B { b }", "operationName": "B"}`,
		`{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "abc"}}}`,
		`{"query": 1, "variables": "x"}`,
		`{"query": "{", "variables": {"a": 1e400}}`,
		`[{"query": "{ a }"}]`,
		`null`,
		`{`,
		``,
	} {
		f.Add([]byte(seed), "application/json", "")
	}
	f.Add([]byte(`variables={}`), "text/plain", `{ viewer { id } }`)
	f.Add([]byte{0xff, 0xfe}, "application/json; charset=utf-16", "mutation { a b }")
	f.Add([]byte(`{"query": "{ a }"}`), "application/json;;", `{ ... on Q { ... on Q { a } } }`)

	s := &summaries{cache: lru.New[*ast.QueryDocument](100), apq: lru.New[string](100)}
	s.apq.Add(f.Context(), "abc", "mutation { x }")
	f.Fuzz(func(t *testing.T, body []byte, contentType, getQuery string) {
		var got *gqlRequest
		var seen []byte
		next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got = gqlRequestFrom(r.Context())
			seen, _ = io.ReadAll(r.Body)
		})
		h := withBodyLimit(1<<16, s.inspect(next))

		post := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		post.Header.Set("Content-Type", contentType)
		post.Header.Set(IdempotencyHeader, "fuzz")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, post)
		if len(body) <= 1<<16 {
			require.NotNil(t, got, "POST did not reach the next handler")
			require.Equal(t, body, seen, "the body was not passed on unchanged")
		} else {
			require.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
		}
		if got != nil {
			require.Len(t, got.Hash, 32)
			require.GreaterOrEqual(t, got.RootFields, 0)
			require.Contains(t, []ast.Operation{"", ast.Query, ast.Mutation, ast.Subscription}, got.Operation)
		}

		got = nil
		get := httptest.NewRequest(http.MethodGet, "/graphql?"+url.Values{"query": {getQuery}, "variables": {string(body)}}.Encode(), nil)
		get.Header.Set(IdempotencyHeader, "fuzz")
		h.ServeHTTP(httptest.NewRecorder(), get)
		require.NotNil(t, got, "GET did not reach the next handler")
		require.Len(t, got.Hash, 32)
	})
}

func TestPagedComplexity(t *testing.T) {
	t.Parallel()
	es := pagedComplexity{graph.NewExecutableSchema(graph.Config{})}
	for _, tc := range []struct {
		name string
		args map[string]any
		want int
		ok   bool
	}{
		{"NotAConnection", map[string]any{"id": "x"}, 0, false},
		{"Literal", map[string]any{"first": int64(100)}, 1 + 100*3, true},
		{"Variable", map[string]any{"first": json.Number("7")}, 1 + 7*3, true},
		{"Null", map[string]any{"first": nil}, 1 + 20*3, true},
		{"BeyondMaxPage", map[string]any{"first": int64(1 << 40)}, 1 + 100*3, true},
		{"Negative", map[string]any{"first": int64(-5)}, 1 + 1*3, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, ok := es.Complexity(t.Context(), "Query", "someConnection", 3, tc.args)
			require.Equal(t, tc.ok, ok)
			require.Equal(t, tc.want, c)
		})
	}
	c, ok := es.Complexity(t.Context(), "Query", "users", math.MaxInt/2, map[string]any{"first": int64(100)})
	require.True(t, ok)
	require.Equal(t, math.MaxInt, c, "saturates instead of overflowing")
}

func TestRequestsWithoutIdempotencyKeyAreNotHashed(t *testing.T) {
	t.Parallel()
	s := &summaries{cache: lru.New[*ast.QueryDocument](10), apq: lru.New[string](10)}
	var got *gqlRequest
	h := s.inspect(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = gqlRequestFrom(r.Context()) }))
	body := `{"query":"mutation { a: x b: y }","variables":{"k":1}}`
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	h.ServeHTTP(httptest.NewRecorder(), req)
	require.Nil(t, got.Hash)
	require.Equal(t, ast.Mutation, got.Operation)
	require.Equal(t, 2, got.RootFields)
	req = httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(IdempotencyHeader, "k1")
	h.ServeHTTP(httptest.NewRecorder(), req)
	require.Len(t, got.Hash, 32)
}
