// go-server answers the hellobench endpoints with the Go standard library's net/http.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// defaultConfig holds the limits every hellobench server shares (CONTRACT.md, section 1).
var defaultConfig = Config{
	ReadHeaderTimeout: 10 * time.Second,
	IdleTimeout:       60 * time.Second,
	BodyTimeout:       60 * time.Second,
	WriteTimeout:      60 * time.Second,
	// net/http allows 4096 bytes beyond MaxHeaderBytes, so 4 KiB here is an 8 KiB header section.
	MaxHeaderBytes: 4 << 10,
	// Well under the 2 s in which the contract wants the process gone.
	ShutdownTimeout: time.Second,
}

// maxThreads bounds --threads: a typo such as --threads 80000 should not make 80000 Ps (each
// costs per-P scheduler and GC state; measured: --threads 100000 did not start within 3 s).
const maxThreads = 1024

type options struct {
	port    int
	bind    string
	threads int
	liveMB  int
	// dbPool is --db-pool, or its default (2 per thread, at most maxDBPool).
	dbPool int
	// db is the pool's configuration from --db and --db-pool; nil without --db.
	db *pgxpool.Config
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole program; it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	opts, err := parseArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(stdout, "usage: go-server [--port N] [--bind ADDR] [--threads N] [--live-mb N] [--db CONNINFO] [--db-pool N]")
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "go-server: %v\n", err)
		return 2
	}
	runtime.GOMAXPROCS(opts.threads)

	// Signals are caught before the listening line, so a SIGTERM right after it is handled.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	ln, err := net.Listen("tcp", net.JoinHostPort(opts.bind, strconv.Itoa(opts.port)))
	if err != nil {
		fmt.Fprintf(stderr, "go-server: %v\n", err)
		return 1
	}
	// The store is built after Listen, so a port that cannot be bound fails at once, and before
	// the listening line: a client that connects earlier waits in the accept queue.
	store := buildStore(opts.liveMB)
	// With --db, the ready line waits until a pooled connection answers SELECT 1 (at most 10 s).
	var db *database
	if opts.db != nil {
		db, err = openDatabase(ctx, opts.db, dbStartTimeout, stderr)
		if errors.Is(err, context.Canceled) {
			return 0 // SIGTERM or SIGINT while waiting
		}
		if err != nil {
			fmt.Fprintf(stderr, "go-server: --db: %v\n", err)
			return 1
		}
		defer db.close()
	}
	// os.Stdout is unbuffered: the line is out when Fprintf returns.
	fmt.Fprintf(stdout, "listening on %s\n", ln.Addr())

	if err := serve(ctx, NewServer(defaultConfig, store, db), ln, defaultConfig.ShutdownTimeout); err != nil {
		fmt.Fprintf(stderr, "go-server: %v\n", err)
		return 1
	}
	return 0
}

// parseArgs reads --port, --bind, --threads, --live-mb, --db and --db-pool (one or two leading
// dashes, "--port 8080" or "--port=8080"). The error is one line naming the flag.
func parseArgs(args []string) (options, error) {
	opts := options{}
	var liveMB, db, dbPool string
	fs := flag.NewFlagSet("go-server", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // the caller prints the error as one line, not flag's usage text
	fs.IntVar(&opts.port, "port", 8080, "TCP port; 0 picks a free one")
	fs.StringVar(&opts.bind, "bind", "127.0.0.1", "IP address to listen on")
	fs.IntVar(&opts.threads, "threads", runtime.NumCPU(), "GOMAXPROCS; default: CPUs in the affinity mask")
	fs.StringVar(&liveMB, "live-mb", "0", "MiB of user records to hold in memory (N*1024 records)")
	fs.StringVar(&db, "db", "", "PostgreSQL connection string or URI for /db/...")
	fs.StringVar(&dbPool, "db-pool", "", "connections in the --db pool; default 2 per thread")
	if err := fs.Parse(args); err != nil {
		return opts, err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if fs.NArg() > 0 {
		return opts, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if opts.port < 0 || opts.port > 65535 {
		return opts, fmt.Errorf("--port: %d is not a port number (0..65535)", opts.port)
	}
	if _, err := netip.ParseAddr(opts.bind); err != nil {
		return opts, fmt.Errorf("--bind: %q is not an IP address", opts.bind)
	}
	if opts.threads < 1 || opts.threads > maxThreads {
		return opts, fmt.Errorf("--threads: %d is not a thread count (1..%d)", opts.threads, maxThreads)
	}
	// Decimal digits only (no sign, no spaces): the same values the other servers take.
	n, err := strconv.ParseUint(liveMB, 10, 16)
	if err != nil || n > maxLiveMB {
		return opts, fmt.Errorf("--live-mb: %q is not a whole number of MiB (0..%d)", liveMB, maxLiveMB)
	}
	opts.liveMB = int(n)
	opts.dbPool = min(2*opts.threads, maxDBPool)
	if given["db-pool"] {
		n, err := strconv.ParseUint(dbPool, 10, 16)
		if err != nil || n < 1 || n > maxDBPool {
			return opts, fmt.Errorf("--db-pool: %q is not a number of connections (1..%d)", dbPool, maxDBPool)
		}
		opts.dbPool = int(n)
	}
	if given["db"] {
		cfg, err := parseDBConfig(db, opts.dbPool)
		if err != nil {
			return opts, fmt.Errorf("--db: not a connection string: %s", oneLine(err))
		}
		opts.db = cfg
	}
	return opts, nil
}

// serve runs srv on ln until ctx is done, then shuts down: the listener closes at once, requests
// in flight get shutdownTimeout to finish, and whatever is left after that is cut off.
func serve(ctx context.Context, srv *http.Server, ln net.Listener, shutdownTimeout time.Duration) error {
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		// Still busy after the grace period (a long /io wait): close the rest to exit in time.
		srv.Close()
	}
	return nil
}
