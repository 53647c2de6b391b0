package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"
)

const (
	// maxDBPool bounds --db-pool (contract/README.md: 1..1024).
	maxDBPool = 1024
	// dbStartTimeout is how long the server waits at start for a pooled connection to answer
	// SELECT 1 before it gives up (exit 1).
	dbStartTimeout = 10 * time.Second
	// dbAcquireTimeout is how long a /db request waits for a pooled connection (all busy, or a
	// new one connecting) before it answers 503.
	dbAcquireTimeout = 5 * time.Second
	// dbCancelFallback is how long a query whose request has gone away may take to stop after
	// the cancel request is sent, before the connection is cut (see parseDBConfig).
	dbCancelFallback = time.Second
	// dbCloseTimeout bounds how long exit waits for the pool to close its connections.
	dbCloseTimeout = 500 * time.Millisecond
)

// The two queries, run as prepared statements: pgx's default exec mode
// (QueryExecModeCacheStatement) prepares each on first use on a connection and caches it there,
// so afterwards a query is one Bind/Execute/Sync round trip.
const (
	selectUser = "SELECT id, name, email, username, age, active, role, country, city, created_at, " +
		"followers, tags, verified, bio FROM users WHERE id = $1"
	selectSleep = "SELECT pg_sleep($1)"
)

// errNoDatabase: the server runs without --db.
var errNoDatabase = errors.New("no --db given")

// parseDBConfig is the pool's configuration for --db conninfo and --db-pool size, as pgxpool's
// documentation builds it (ParseConfig, then MaxConns). conninfo is a libpq connection string
// ("host=... dbname=...") or URI ("postgresql://..."); the usual PG* environment variables and
// files fill what it leaves out, as with libpq.
func parseDBConfig(conninfo string, size int) (*pgxpool.Config, error) {
	if strings.TrimSpace(conninfo) == "" {
		return nil, errors.New("empty connection string")
	}
	cfg, err := pgxpool.ParseConfig(conninfo)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = int32(size)
	// When a request's context ends (the client went away, or the server is stopping), ask
	// PostgreSQL to cancel the query (a CancelRequest on a new connection), so that a long
	// pg_sleep stops on the server too and the connection goes back to the pool. pgx's default
	// only cuts the connection, which leaves the query running on the server to its end. If the
	// cancel does not get through within dbCancelFallback, the connection is cut after all.
	cfg.ConnConfig.BuildContextWatcherHandler = func(conn *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: conn, DeadlineDelay: dbCancelFallback}
	}
	return cfg, nil
}

// describeDB names the database cfg points at, without its password.
func describeDB(cfg *pgxpool.Config) string {
	c := cfg.ConnConfig
	return fmt.Sprintf("database %q on %s as %q", c.Database, c.Host+portSuffix(c.Host, c.Port), c.User)
}

// portSuffix is ":port" for a TCP host; a Unix socket directory gets " port N" instead.
func portSuffix(host string, port uint16) string {
	if strings.HasPrefix(host, "/") {
		return fmt.Sprintf(" port %d", port)
	}
	return fmt.Sprintf(":%d", port)
}

// oneLine joins a multi-line error message (pgx joins the errors of several hosts with
// newlines) into one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// database is the pool behind GET /db/...; nil without --db.
type database struct {
	pool *pgxpool.Pool
	// acquireTimeout: dbAcquireTimeout (tests shorten it).
	acquireTimeout time.Duration
	// log gets one line when the database stops answering, and one when it answers again.
	log  io.Writer
	down atomic.Bool
}

// openDatabase opens the pool and waits until one of its connections answers SELECT 1, trying
// again every 100 ms (the database may still be starting) until wait has passed or ctx ends.
func openDatabase(ctx context.Context, cfg *pgxpool.Config, wait time.Duration, log io.Writer) (*database, error) {
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", describeDB(cfg), oneLine(err))
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	var lastErr error
	for {
		_, err = pool.Exec(ctx, "SELECT 1")
		if err == nil {
			return &database{pool: pool, acquireTimeout: dbAcquireTimeout, log: log}, nil
		}
		if lastErr == nil || ctx.Err() == nil {
			lastErr = err // the reason, rather than the deadline that cut the last try short
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
			continue
		}
		closePool(pool)
		if errors.Is(ctx.Err(), context.Canceled) {
			return nil, ctx.Err()
		}
		if errors.Is(lastErr, context.DeadlineExceeded) {
			return nil, fmt.Errorf("%s did not answer SELECT 1 within %v", describeDB(cfg), wait)
		}
		return nil, fmt.Errorf("%s did not answer SELECT 1 within %v: %s", describeDB(cfg), wait, oneLine(lastErr))
	}
}

// close closes the pool's connections.
func (d *database) close() { closePool(d.pool) }

// closePool closes pool, waiting at most dbCloseTimeout: pgxpool's Close waits for every
// connection in use to come back.
func closePool(pool *pgxpool.Pool) {
	done := make(chan struct{})
	go func() {
		pool.Close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(dbCloseTimeout):
	}
}

// withConn runs query on a pooled connection, waiting at most acquireTimeout for one. The query
// itself runs under ctx alone: a pg_sleep may take up to 10 s.
func (d *database) withConn(ctx context.Context, query func(*pgxpool.Conn) error) error {
	if d == nil {
		return errNoDatabase
	}
	acquireCtx, cancel := context.WithTimeout(ctx, d.acquireTimeout)
	conn, err := d.pool.Acquire(acquireCtx)
	cancel()
	if err == nil {
		err = query(conn)
		// A connection that failed (closed, or still busy) is destroyed here, not reused; the
		// pool opens a new one when asked, so the routes recover once the database is back.
		conn.Release()
	}
	switch {
	case err == nil || errors.Is(err, pgx.ErrNoRows):
		if d.down.Load() && d.down.CompareAndSwap(true, false) {
			fmt.Fprintln(d.log, "go-server: database answers again")
		}
	case ctx.Err() != nil:
		// The client went away (or the server is stopping): not the database's fault.
	default:
		if d.down.CompareAndSwap(false, true) {
			fmt.Fprintf(d.log, "go-server: database unavailable: %s\n", oneLine(err))
		}
	}
	return err
}

// user reads row id of table users into a record; pgx.ErrNoRows when there is none.
func (d *database) user(ctx context.Context, id int64) (record, error) {
	var r record
	err := d.withConn(ctx, func(conn *pgxpool.Conn) error {
		return conn.QueryRow(ctx, selectUser, id).Scan(&r.ID, &r.Name, &r.Email, &r.Username, &r.Age,
			&r.Active, &r.Role, &r.Country, &r.City, &r.CreatedAt, &r.Followers, &r.Tags, &r.Verified, &r.Bio)
	})
	return r, err
}

// sleep runs pg_sleep for ms milliseconds on a pooled connection.
func (d *database) sleep(ctx context.Context, ms uint64) error {
	return d.withConn(ctx, func(conn *pgxpool.Conn) error {
		_, err := conn.Exec(ctx, selectSleep, float64(ms)/1000)
		return err
	})
}
