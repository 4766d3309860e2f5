package bench

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// serverTimes is a scrape of the server's own latency histograms (its
// /metrics): per HTTP route and per GraphQL operation, the sum of seconds
// and the count. Two scrapes around a scenario say where the server spent
// its time, which the client's view of a multi-step flow cannot.
type serverTimes map[string][2]float64 // key → {sum seconds, count}

func scrapeServer(ctx context.Context, e *env) serverTimes {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.base+"/metrics", nil)
	if err != nil {
		return nil
	}
	if e.metricsToken != "" {
		req.Header.Set("Authorization", "Bearer "+e.metricsToken)
	}
	resp, err := e.http.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil
	}
	out := serverTimes{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		var key string
		var idx int
		switch {
		case strings.HasPrefix(line, "kassa_http_request_duration_seconds_sum{"):
			key, idx = "http "+label(line, "route"), 0
		case strings.HasPrefix(line, "kassa_http_request_duration_seconds_count{"):
			key, idx = "http "+label(line, "route"), 1
		case strings.HasPrefix(line, "kassa_graphql_operation_duration_seconds_sum{"):
			key, idx = "graphql "+label(line, "operation"), 0
		case strings.HasPrefix(line, "kassa_graphql_operation_duration_seconds_count{"):
			key, idx = "graphql "+label(line, "operation"), 1
		case strings.HasPrefix(line, "go_sql_wait_duration_seconds_total{"):
			key, idx = "pool wait "+label(line, "db_name"), 0
		case strings.HasPrefix(line, "go_sql_wait_count_total{"):
			key, idx = "pool wait "+label(line, "db_name"), 1
		default:
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			continue
		}
		cur := out[key]
		cur[idx] += v
		out[key] = cur
	}
	return out
}

func label(line, name string) string {
	i := strings.Index(line, name+`="`)
	if i < 0 {
		return "?"
	}
	rest := line[i+len(name)+2:]
	j := strings.IndexByte(rest, '"')
	if j < 0 {
		return "?"
	}
	return rest[:j]
}

// breakdown describes what the server did between two scrapes: requests
// per unit of work and their mean latency, the busiest first.
func breakdown(before, after serverTimes, units int64) string {
	if before == nil || after == nil || units == 0 {
		return ""
	}
	type row struct {
		key      string
		n, total float64
	}
	var rows []row
	for k, a := range after {
		b := before[k]
		if n := a[1] - b[1]; n > 0 && k != "http GET /metrics" {
			rows = append(rows, row{k, n, a[0] - b[0]})
		}
	}
	slices.SortFunc(rows, func(x, y row) int {
		switch {
		case x.total > y.total:
			return -1
		case x.total < y.total:
			return 1
		}
		return strings.Compare(x.key, y.key)
	})
	var parts []string
	for _, r := range rows {
		parts = append(parts, fmt.Sprintf("%s %.2f×%.1f ms", r.key, r.n/float64(units), 1000*r.total/r.n))
	}
	return strings.Join(parts, "; ")
}
