-- Keys the application makes once and keeps, by name: the key of the
-- persons' web addresses (a keyed digest of the ID number).
CREATE TABLE app_keys (
    name  TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);
