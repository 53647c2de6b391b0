-- The users table behind GET /db/users/{id} (contract/README.md, "Database routes"), loaded with
-- exactly the records the servers' --live-mb store holds. psql variable :records is the row
-- count (live_mb * 1024): psql -v records=1024 -f users.sql. Pure SQL, so every loader (the
-- orchestrator, each server's tests, a user's own database) makes the same rows.
SET client_min_messages = warning;
DROP TABLE IF EXISTS users;
CREATE TABLE users (
  id bigint PRIMARY KEY,
  name text NOT NULL,
  email text NOT NULL,
  username text NOT NULL,
  age integer NOT NULL,
  active boolean NOT NULL,
  role text NOT NULL,
  country text NOT NULL,
  city text NOT NULL,
  created_at text NOT NULL,
  followers bigint NOT NULL,
  tags text[] NOT NULL,
  verified boolean NOT NULL,
  bio text NOT NULL
);
INSERT INTO users
SELECT i,
       'user-' || i,
       'user-' || i || '@example.com',
       'u' || i,
       18 + i % 60,
       i % 2 = 0,
       (ARRAY['admin', 'editor', 'viewer'])[i % 3 + 1],
       (ARRAY['GB', 'US', 'DE', 'FR', 'JP'])[i % 5 + 1],
       (ARRAY['London', 'New York', 'Berlin', 'Paris', 'Tokyo'])[i % 5 + 1],
       '2026-01-01T00:00:00Z',
       (i * 37) % 10000,
       ARRAY['tag-' || i % 10, 'group-' || i % 4],
       i % 3 = 0,
       left(repeat('bio-' || i || '-', 800 / length('bio-' || i || '-') + 1), 800)
FROM generate_series(0, :records - 1) AS i;
ANALYZE users;
