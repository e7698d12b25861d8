-- Users. Usernames are unique without regard to ASCII case (COLLATE NOCASE), so "Alice" and
-- "alice" cannot both register; the name is stored as the user typed it.
CREATE TABLE users (
  id TEXT PRIMARY KEY NOT NULL, -- SQLite lets a non-INTEGER primary key be NULL without this
  username TEXT NOT NULL COLLATE NOCASE UNIQUE,
  password_hash TEXT NOT NULL,
  created_at TEXT NOT NULL
);
