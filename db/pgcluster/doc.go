// Package pgcluster runs kassa's private PostgreSQL cluster from the
// machine's own server binaries (initdb, postgres): it owns one directory
// holding the data (data/), the unix socket (run/, or a short directory
// under the temp dir when the socket path would be too long), the server
// log and a lock file. The server listens on that socket only, never on
// TCP, and trusts whoever can reach the socket. `kassa serve` uses it when
// no external database is given; tests use it, with Options.Fast, for an
// ephemeral cluster.
//
// Invariants: at most one server runs per directory — concurrent Start calls
// take turns on an flock, and a Start that finds a live server attaches to it
// rather than starting another, and then never stops it. data/ either holds a
// complete cluster or does not exist: initdb works on a side directory that
// is renamed into place. When we are root, initdb and postgres run as the
// postgres system user and everything under the directory belongs to it; if
// that user cannot reach the requested directory, the cluster lives in a
// directory under the temp dir named by a hash of the requested path, so every
// process asking for the same path finds the same cluster. A server we start
// runs in its own process group and stops only through Stop.
package pgcluster
