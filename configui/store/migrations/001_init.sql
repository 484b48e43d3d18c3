-- The editor's own tables. Applied by tern at start, under its advisory lock.
CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    username      text NOT NULL UNIQUE CHECK (username <> '' AND length(username) <= 128),
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- A session row is the server-side half of a signed cookie: deleting it
-- (logout, user removed) ends the session as soon as the database is seen.
CREATE TABLE sessions (
    id          text PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    remote_addr text NOT NULL DEFAULT ''
);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- One row per alert instance: Alertmanager's fingerprint and start time.
CREATE TABLE alerts (
    fingerprint   text NOT NULL,
    starts_at     timestamptz NOT NULL,
    status        text NOT NULL CHECK (status IN ('firing', 'resolved')),
    alertname     text NOT NULL,
    server        text NOT NULL DEFAULT '',
    labels        jsonb NOT NULL,
    annotations   jsonb NOT NULL,
    ends_at       timestamptz,
    generator_url text NOT NULL DEFAULT '',
    source        text NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (fingerprint, starts_at)
);
CREATE INDEX alerts_updated ON alerts (updated_at DESC);
CREATE INDEX alerts_server_firing ON alerts (server) WHERE status = 'firing';

-- Who did what: logins now, every change attempt later.
CREATE TABLE audit (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    username    text NOT NULL,
    action      text NOT NULL,
    success     boolean NOT NULL,
    remote_addr text NOT NULL DEFAULT '',
    detail      text NOT NULL DEFAULT ''
);
CREATE INDEX audit_at ON audit (at DESC);
