// Package store is the modules' persistence: JSON documents by table and id, kept in memory
// or in PostgreSQL (pgx, one JSONB table per module).
package store

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrNotFound is returned by Get when no document has the id.
var ErrNotFound = errors.New("not found")

// Store keeps JSON documents by table and id.
type Store interface {
	Put(ctx context.Context, table string, id uuid.UUID, body []byte) error
	Get(ctx context.Context, table string, id uuid.UUID) ([]byte, error)
}

// Memory is a Store in a map, safe for concurrent use.
type Memory struct {
	mu   sync.RWMutex
	rows map[string][]byte
}

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory { return &Memory{rows: map[string][]byte{}} }

func key(table string, id uuid.UUID) string { return table + "/" + id.String() }

// Put stores a copy of body.
func (m *Memory) Put(_ context.Context, table string, id uuid.UUID, body []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rows[key(table, id)] = append([]byte(nil), body...)
	return nil
}

// Get returns the document, or ErrNotFound.
func (m *Memory) Get(_ context.Context, table string, id uuid.UUID) ([]byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	body, ok := m.rows[key(table, id)]
	if !ok {
		return nil, ErrNotFound
	}
	return body, nil
}

// Postgres is a Store in PostgreSQL: table <name> (id uuid primary key, body jsonb).
type Postgres struct{ pool *pgxpool.Pool }

// NewPostgres connects a pool and checks that it answers.
func NewPostgres(ctx context.Context, url string) (*Postgres, error) {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, err
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return &Postgres{pool: pool}, nil
}

// Close releases the pool.
func (p *Postgres) Close() { p.pool.Close() }

// Put upserts the document.
func (p *Postgres) Put(ctx context.Context, table string, id uuid.UUID, body []byte) error {
	sql := fmt.Sprintf(`INSERT INTO %s (id, body) VALUES ($1, $2)
		ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body`, pgx.Identifier{table}.Sanitize())
	_, err := p.pool.Exec(ctx, sql, id, body)
	return err
}

// Get reads the document, or ErrNotFound.
func (p *Postgres) Get(ctx context.Context, table string, id uuid.UUID) ([]byte, error) {
	sql := fmt.Sprintf(`SELECT body FROM %s WHERE id = $1`, pgx.Identifier{table}.Sanitize())
	var body []byte
	err := p.pool.QueryRow(ctx, sql, id).Scan(&body)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	return body, err
}
