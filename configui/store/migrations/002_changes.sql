-- Every attempt to change a Kea configuration: recorded before Kea is
-- touched (status 'running'), finished with its outcome, the diff and each
-- peer's steps with Kea's own messages.
CREATE TABLE changes (
    id          bigserial PRIMARY KEY,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    username    text NOT NULL,
    remote_addr text NOT NULL DEFAULT '',
    server      text NOT NULL,
    daemon      text NOT NULL,
    peers       text[] NOT NULL,
    summary     text NOT NULL DEFAULT '',
    diff        text NOT NULL DEFAULT '',
    status      text NOT NULL CHECK (status IN ('running', 'applied', 'failed', 'rolled-back', 'rollback-failed', 'conflict')),
    error       text NOT NULL DEFAULT '',
    steps       jsonb NOT NULL DEFAULT '[]'
);
CREATE INDEX changes_started ON changes (started_at DESC);
CREATE INDEX changes_server ON changes (server, daemon, id DESC);
