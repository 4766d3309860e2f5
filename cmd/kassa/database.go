package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"kassa/db"
	"kassa/db/pgcluster"
	"kassa/server"
)

// database is kassa's database for one process: an external one from
// KASSA_DATABASE_URL, or the embedded cluster under the data directory
// (started here, or attached to when another kassa process runs it).
type database struct {
	*db.DB
	cluster *pgcluster.Cluster
}

// openDatabase migrates and opens the database.
func openDatabase(ctx context.Context, cfg server.Config, log *slog.Logger) (*database, error) {
	d := &database{}
	url := cfg.DatabaseURL
	if url == "" {
		c, err := pgcluster.Start(ctx, pgcluster.Options{DataDir: filepath.Join(cfg.DataDir, "pg"), Logger: log})
		if err != nil {
			return nil, fmt.Errorf("start embedded PostgreSQL: %w", err)
		}
		d.cluster = c
		if err := db.EnsureDatabase(ctx, c.URL(), "kassa"); err != nil {
			d.Close(ctx)
			return nil, err
		}
		url = c.URLFor("kassa")
		if c.Owned() {
			log.Info("embedded PostgreSQL started", "data_dir", c.DataDir())
		} else {
			log.Info("using the embedded PostgreSQL already running", "data_dir", c.DataDir())
		}
	}
	if err := db.Migrate(ctx, url); err != nil {
		d.Close(ctx)
		return nil, err
	}
	pools, err := db.Open(ctx, url, db.Options{MaxOpenConns: cfg.DBMaxConns})
	if err != nil {
		d.Close(ctx)
		return nil, err
	}
	d.DB = pools
	return d, nil
}

// Close closes the pools and stops the embedded cluster if this process
// started it.
func (d *database) Close(ctx context.Context) {
	if d.DB != nil {
		_ = d.DB.Close()
	}
	if d.cluster != nil {
		_ = d.cluster.Stop(context.WithoutCancel(ctx))
	}
}
