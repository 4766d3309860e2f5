package db_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"kassa/kassatest"
)

// tableOwners names, for every table, the one package (its directory in the
// module) that reads and writes it. Every other package calls that
// package's API. A new table in db/migrations must be added here.
var tableOwners = map[string]string{
	"merchants": "merchants",

	"users":       "auth",
	"memberships": "auth",
	"api_keys":    "auth",
	"sessions":    "auth",

	"idempotency_keys": "idempotency",

	"payments":           "payments",
	"payment_operations": "payments",
	"payment_events":     "payments",
	"payment_ledger":     "payments",

	"simulator_tokens":     "payments/simulator",
	"simulator_payments":   "payments/simulator",
	"simulator_operations": "payments/simulator",
	"simulator_callbacks":  "payments/simulator",

	"merchant_counters":   "orders",
	"orders":              "orders",
	"order_lines":         "orders",
	"order_confirmations": "orders",
	"payment_links":       "orders",
	"mandate_consents":    "orders",
	"customers":           "orders",

	"subscriptions": "billing",
	"invoices":      "billing",
	"invoice_lines": "billing",
	"usage_events":  "billing",

	"terminal_payments":    "terminal",
	"terminal_user_limits": "terminal",

	"audit_events": "audit",

	"checkouts": "checkout",

	"merchant_branding": "branding",

	"webhook_endpoints":  "webhooks",
	"webhook_events":     "webhooks",
	"webhook_deliveries": "webhooks",

	"sent_emails": "mailer",

	// River's own tables (db.Migrate creates them through rivermigrate):
	// kassa works with them only through River's client.
	"river_job":          riverOwner,
	"river_leader":       riverOwner,
	"river_queue":        riverOwner,
	"river_client":       riverOwner,
	"river_client_queue": riverOwner,
	"river_migration":    riverOwner,
}

const riverOwner = "github.com/riverqueue/river"

// foreignTouches are the deliberate exceptions: a package that touches
// tables it does not own, and why that is right. Production code has none.
var foreignTouches = []struct {
	pkg    string
	tables []string
	why    string
}{
	{"bench", []string{"customers", "orders", "order_lines", "merchant_counters", "payments", "payment_ledger", "subscriptions", "invoices", "river_job"},
		"the load generator writes a million orders and their history in a few statements (through the APIs that would take hours), " +
			"copies due subscriptions, counts the invoices a sweep made and drops the charge jobs it left, so each round measures only its scenario"},
	{"kassatest", []string{"river_job"},
		"the whole-system test fixture prints River's jobs when a test fails, to show what was queued"},
	{"payments/paymentstest", []string{"merchants", "payment_operations", "simulator_callbacks"},
		"the payments tests' fixture (imported by _test.go files only) seeds bare merchants and reads kassa's and the simulator's books, as a test file may"},
}

// TestTablesHaveOneOwner fails when a package's SQL names a table another
// package owns: that package must call the owner's API instead.
func TestTablesHaveOneOwner(t *testing.T) {
	t.Parallel()
	root := kassatest.RepoRoot(t)

	created := migrationTables(t, filepath.Join(root, "db", "migrations"))
	for _, table := range created {
		require.Contains(t, tableOwners, table, "table %s (db/migrations) has no owner in tableOwners", table)
	}
	for table, owner := range tableOwners {
		if owner != riverOwner {
			require.Contains(t, created, table, "tableOwners names %s, which no migration creates", table)
		}
	}

	touches := sqlTouches(t, root)
	allowed := map[[2]string]bool{}
	for _, e := range foreignTouches {
		require.NotEmpty(t, e.why)
		for _, table := range e.tables {
			allowed[[2]string{e.pkg, table}] = true
		}
	}

	var foreign []string
	used := map[[2]string]bool{}
	for pkg, tables := range touches {
		for table := range tables {
			owner, ok := tableOwners[table]
			if !ok || owner == pkg {
				continue
			}
			if allowed[[2]string{pkg, table}] {
				used[[2]string{pkg, table}] = true
				continue
			}
			foreign = append(foreign, pkg+" → "+table+" ("+owner+"): "+strings.Join(touches[pkg][table], ", "))
		}
	}
	slices.Sort(foreign)
	if len(foreign) > 0 {
		t.Errorf("packages touching a table they do not own (package → table (owner): where); call the owner's API instead:\n%s", strings.Join(foreign, "\n"))
	}
	for _, e := range foreignTouches {
		for _, table := range e.tables {
			if !used[[2]string{e.pkg, table}] {
				t.Errorf("the exception %s → %s is no longer needed: remove it", e.pkg, table)
			}
		}
	}
}

// TestSQLTables checks the table finder on the shapes of SQL kassa writes.
func TestSQLTables(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		sql  string
		want []string
	}{
		{`SELECT a FROM orders o JOIN order_lines l ON l.order_id = o.id LEFT JOIN "payment_links" pl USING (merchant_id)`, []string{"order_lines", "orders", "payment_links"}},
		{`INSERT INTO merchant_counters (merchant_id, name, value) VALUES ($1, 'invoice', $2)
		  ON CONFLICT ON CONSTRAINT merchant_counters_pkey DO UPDATE SET value = merchant_counters.value + $2`, []string{"merchant_counters"}},
		{`UPDATE payment_links SET status = 'PAID' WHERE id = $1 RETURNING id`, []string{"payment_links"}},
		{`DELETE FROM sessions s USING users u WHERE s.user_id = u.id`, []string{"sessions", "users"}},
		{`SELECT * FROM orders a, customers AS c, unnest($1::uuid[]) AS t(id) FOR UPDATE OF a`, []string{"customers", "orders"}},
		{`WITH payments AS (SELECT 1 FROM invoices) SELECT * FROM payments`, []string{"invoices"}},
		{`WITH RECURSIVE x(n) AS (SELECT 1), orders AS MATERIALIZED (SELECT 2) SELECT * FROM x, orders`, nil},
		{`SELECT extract(epoch FROM users) , a IS DISTINCT FROM merchants FROM (SELECT 1) q -- FROM subscriptions
		  /* JOIN invoices */ WHERE b = 'FROM webhook_events'`, nil},
		{`SELECT a FROM public.merchants FOR NO KEY UPDATE`, []string{"merchants"}},
		{`TRUNCATE TABLE audit_events, sent_emails; LOCK TABLE checkouts`, []string{"audit_events", "checkouts", "sent_emails"}},
		{`Paid from orders in full`, nil},
		{` FROM checkouts c JOIN payment_links l ON l.id = c.payment_link_id`, []string{"checkouts", "payment_links"}},
	} {
		got := sqlTables(c.sql)
		require.Equal(t, c.want, got, c.sql)
	}
}

var createTable = regexp.MustCompile(`(?i)\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?"?(\w+)"?`)

func migrationTables(t *testing.T, dir string) []string {
	files, err := filepath.Glob(filepath.Join(dir, "*.sql"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var tables []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, m := range createTable.FindAllStringSubmatch(stripSQLComments(string(b)), -1) {
			tables = append(tables, strings.ToLower(m[1]))
		}
	}
	return tables
}

// sqlTouches maps each package (its directory in the module) to the known
// tables its non-test Go files name in SQL, each with where it does.
func sqlTouches(t *testing.T, root string) map[string]map[string][]string {
	out := map[string]map[string][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor" || name == "node_modules") {
				return filepath.SkipDir
			}
			if path != root {
				if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
					return filepath.SkipDir // another module (tools)
				}
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(path))
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(rel)
		for _, lit := range stringExprs(f) {
			for _, table := range sqlTables(lit.text) {
				if out[pkg] == nil {
					out[pkg] = map[string][]string{}
				}
				p := fset.Position(lit.pos)
				where := filepath.Base(p.Filename) + ":" + strconv.Itoa(p.Line)
				if !slices.Contains(out[pkg][table], where) {
					out[pkg][table] = append(out[pkg][table], where)
				}
			}
		}
		return nil
	})
	require.NoError(t, err)
	return out
}

type stringExpr struct {
	pos  token.Pos
	text string
}

// stringExprs returns the file's string literals, with literals joined by +
// taken as one text (the other operands standing in as a placeholder), so a
// query built as `SELECT `+columns+` FROM t` is read whole.
func stringExprs(f *ast.File) []stringExpr {
	var out []stringExpr
	var visit func(n ast.Node) bool
	visit = func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BasicLit:
			if n.Kind == token.STRING {
				if s, err := strconv.Unquote(n.Value); err == nil {
					out = append(out, stringExpr{n.Pos(), s})
				}
			}
		case *ast.BinaryExpr:
			if n.Op != token.ADD {
				return true
			}
			var b strings.Builder
			var others []ast.Expr
			hasLit := false
			var flatten func(e ast.Expr)
			flatten = func(e ast.Expr) {
				switch e := e.(type) {
				case *ast.BinaryExpr:
					if e.Op == token.ADD {
						flatten(e.X)
						flatten(e.Y)
						return
					}
				case *ast.ParenExpr:
					flatten(e.X)
					return
				case *ast.BasicLit:
					if e.Kind == token.STRING {
						if s, err := strconv.Unquote(e.Value); err == nil {
							b.WriteString(s)
							hasLit = true
							return
						}
					}
				}
				b.WriteString(" _ ")
				others = append(others, e)
			}
			flatten(n)
			if hasLit {
				out = append(out, stringExpr{n.Pos(), b.String()})
			}
			for _, e := range others {
				ast.Inspect(e, visit)
			}
			return false
		}
		return true
	}
	ast.Inspect(f, visit)
	return out
}

var (
	lineComment  = regexp.MustCompile(`--[^\n]*`)
	blockComment = regexp.MustCompile(`(?s)/\*.*?\*/`)
)

func stripSQLComments(s string) string {
	return lineComment.ReplaceAllString(blockComment.ReplaceAllString(s, " "), " ")
}

// sqlTokens splits SQL into lower-cased words (quoted identifiers
// unquoted) and single punctuation characters, dropping comments, string
// constants and numbers.
func sqlTokens(s string) []string {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				return toks
			}
			i += end + 4
		case c == '\'':
			i++
			for i < len(s) {
				if s[i] == '\'' {
					if i+1 < len(s) && s[i+1] == '\'' {
						i += 2
						continue
					}
					break
				}
				i++
			}
			i++
			toks = append(toks, "'")
		case c == '"':
			end := strings.IndexByte(s[i+1:], '"')
			if end < 0 {
				return toks
			}
			toks = append(toks, strings.ToLower(s[i+1:i+1+end]))
			i += end + 2
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			for j < len(s) && (s[j] == '_' || s[j] == '$' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			toks = append(toks, strings.ToLower(s[i:j]))
			i = j
		case c >= '0' && c <= '9' || c == '$':
			j := i + 1
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
				j++
			}
			toks = append(toks, "0")
			i = j
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		default:
			toks = append(toks, string(c))
			i++
		}
	}
	return toks
}

// Words after which a name is not a table alias.
var notAlias = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`where join left right inner outer full cross natural on using group order
		limit offset fetch for window having union intersect except returning set do values select default
		overriding tablesample lateral with as into from and or not is`) {
		notAlias[w] = true
	}
}

// Functions whose arguments use FROM without naming a table.
var fromFunctions = map[string]bool{"extract": true, "substring": true, "trim": true, "overlay": true, "position": true}

var statementWords = map[string]bool{"select": true, "insert": true, "update": true, "delete": true, "with": true, "truncate": true, "lock": true, "copy": true, "merge": true, "alter": true}

// Words a fragment of a query (a constant joined into several) starts with.
var fragmentWords = map[string]bool{"from": true, "join": true, "left": true, "inner": true, "cross": true, "full": true, "right": true, "natural": true}

// sqlTables returns, sorted, the known tables (keys of tableOwners) that
// SQL text reads or writes: names after FROM, JOIN, INTO, UPDATE, USING,
// TABLE, TRUNCATE and COPY, other than the statement's CTE names. Text
// that has no SQL statement word and does not start as a fragment of one
// is not SQL and names nothing.
func sqlTables(s string) []string {
	toks := sqlTokens(s)
	if !slices.ContainsFunc(toks, func(w string) bool { return statementWords[w] }) && (len(toks) == 0 || !fragmentWords[toks[0]]) {
		return nil
	}
	ctes := map[string]bool{}
	for i, w := range toks {
		// WITH [RECURSIVE] name [(cols)] AS [NOT] [MATERIALIZED] (
		if i > 0 && (toks[i-1] == "with" || toks[i-1] == "recursive" || toks[i-1] == ",") && isWord(w) {
			j := i + 1
			if j < len(toks) && toks[j] == "(" {
				j = skipParens(toks, j)
			}
			if j < len(toks) && toks[j] == "as" {
				j++
				for j < len(toks) && (toks[j] == "not" || toks[j] == "materialized") {
					j++
				}
				if j < len(toks) && toks[j] == "(" {
					ctes[w] = true
				}
			}
		}
	}

	found := map[string]bool{}
	var parens []string // the word before each open parenthesis
	for i := 0; i < len(toks); i++ {
		w := toks[i]
		prev := ""
		if i > 0 {
			prev = toks[i-1]
		}
		switch w {
		case "(":
			parens = append(parens, prev)
			continue
		case ")":
			if len(parens) > 0 {
				parens = parens[:len(parens)-1]
			}
			continue
		case "from":
			if prev == "distinct" || len(parens) > 0 && fromFunctions[parens[len(parens)-1]] {
				continue
			}
		case "update":
			if prev == "for" || prev == "do" || prev == "key" {
				continue
			}
		case "join", "into", "using", "table", "truncate", "copy":
		default:
			continue
		}
		j := i + 1
		for {
			for j < len(toks) && (toks[j] == "only" || toks[j] == "lateral" || toks[j] == "table") {
				j++
			}
			if j >= len(toks) || !isWord(toks[j]) || notAlias[toks[j]] {
				break
			}
			name := toks[j]
			j++
			if j+1 < len(toks) && toks[j] == "." && isWord(toks[j+1]) {
				if name != "public" {
					break // a column (alias.column) or another schema
				}
				name = toks[j+1]
				j += 2
			}
			if j < len(toks) && toks[j] == "(" {
				if w == "into" || w == "copy" {
					if !ctes[name] {
						found[name] = true
					}
				}
				break // a function call, or INSERT INTO t (columns)
			}
			if !ctes[name] {
				found[name] = true
			}
			if j < len(toks) && toks[j] == "as" {
				j++
			}
			if j < len(toks) && isWord(toks[j]) && !notAlias[toks[j]] {
				j++ // alias
				if j < len(toks) && toks[j] == "(" {
					j = skipParens(toks, j)
				}
			}
			if j < len(toks) && toks[j] == "," && (w == "from" || w == "using" || w == "table" || w == "truncate") {
				j++
				continue
			}
			break
		}
	}
	var out []string
	for name := range found {
		if _, ok := tableOwners[name]; ok {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

func isWord(w string) bool {
	return w != "" && (w[0] == '_' || w[0] >= 'a' && w[0] <= 'z')
}

// skipParens returns the index after the parenthesis that closes toks[i].
func skipParens(toks []string, i int) int {
	depth := 0
	for ; i < len(toks); i++ {
		switch toks[i] {
		case "(":
			depth++
		case ")":
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return i
}
