// Package bench is `kassa bench`: it measures kassa's real flows (a paid
// checkout, usage reporting, the billing sweep, the orders list, the
// dashboard's overview at a million orders, the web terminal's API) against a kassa server, and measures in the same run,
// on the same PostgreSQL, the baselines their targets are stated in:
// pgbench's tpcb-like transactions per second and a plain multi-row INSERT
// of the usage table's row shape.
//
// Figures on a shared, noisy machine only hold as ratios measured side by
// side, so every target names a baseline (or a latency bound) and the
// report gives the ratio and whether it is met. By default the bench starts
// its own server on a private PostgreSQL cluster in a temp dir (never
// ./var), with the per-credential rate limit raised out of the way; with
// --target it drives a running server instead.
//
// Latency is measured from when a request was due: closed-loop scenarios
// (a fixed number of workers) from when it was sent, the open-loop read
// scenario from its scheduled time, so a stalled server shows in the tail
// rather than hiding it.
package bench
