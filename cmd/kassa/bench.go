package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"time"

	"kassa/bench"
)

// cmdBench is `kassa bench`: see package bench.
func cmdBench(ctx context.Context, args []string) error {
	return bench.Main(ctx, args, os.Stdout, os.Stderr)
}

// servePprof serves Go's profiler (`kassa serve --pprof ADDR`) on a
// listener of its own, never on kassa's public one: profiles show
// internals, and a CPU profile costs the server while it runs. Bind it to
// localhost. It stops with ctx.
func servePprof(ctx context.Context, addr string, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--pprof %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	log.Warn("pprof listening: profiles show internals; keep it on localhost", "addr", ln.Addr().String())
	return nil
}
