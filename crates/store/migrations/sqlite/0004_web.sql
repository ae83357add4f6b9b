-- Accounts, sessions, API tokens, login throttling and the audit log of
-- the web application. Small reference-style tables: no county_code.

CREATE TABLE users (
    id                   INTEGER     NOT NULL PRIMARY KEY,
    username             TEXT        NOT NULL UNIQUE,
    display_name         TEXT        NOT NULL,
    role                 TEXT        NOT NULL,
    region               TEXT        NOT NULL,
    password_hash        TEXT        NOT NULL,
    must_change_password BOOLEAN     NOT NULL,
    disabled             BOOLEAN     NOT NULL,
    created_at           TIMESTAMPTZ NOT NULL,
    password_changed_at  TIMESTAMPTZ NOT NULL
);

-- A session is found by the SHA-256 of its cookie value, so a copy of the
-- database does not hand out live sessions.
CREATE TABLE sessions (
    token_hash   TEXT        NOT NULL PRIMARY KEY,
    user_id      BIGINT      NOT NULL REFERENCES users (id),
    csrf_token   TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    token_hash   TEXT        NOT NULL PRIMARY KEY,
    user_id      BIGINT      NOT NULL REFERENCES users (id),
    label        TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE login_failures (
    id        INTEGER     NOT NULL PRIMARY KEY,
    key       TEXT        NOT NULL,
    failed_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (key, failed_at);

-- Every write and every sensitive read. The application only inserts;
-- the triggers refuse edits from anything else too.
CREATE TABLE audit_log (
    id          INTEGER     NOT NULL PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL,
    user_id     BIGINT,
    username    TEXT        NOT NULL,
    role        TEXT,
    action      TEXT        NOT NULL,
    target_kind TEXT,
    target_key  TEXT,
    region      TEXT        NOT NULL,
    reason      TEXT,
    old_value   TEXT,
    new_value   TEXT,
    detail      TEXT,
    client_ip   TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_region ON audit_log (region, at);
CREATE INDEX audit_log_user ON audit_log (username, at);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
