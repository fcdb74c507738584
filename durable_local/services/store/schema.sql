-- State of the local Durable host: one SQLite file in WAL mode (or :memory: for tests).
-- Every orchestration episode is one transaction over these tables.

CREATE TABLE IF NOT EXISTS instances (
    instance_id         TEXT PRIMARY KEY,
    name                TEXT NOT NULL,
    execution_id        TEXT NOT NULL,
    status              TEXT NOT NULL,          -- RuntimeStatus wire name
    input               TEXT,                   -- JSON text as stored in ExecutionStarted.Input
    output              TEXT,                   -- JSON text
    custom_status       TEXT,                   -- JSON text
    created_at          TEXT NOT NULL,          -- ISO-8601 UTC, fixed width, sorts as text
    last_updated_at     TEXT NOT NULL,
    parent_instance_id  TEXT,
    parent_execution_id TEXT,
    parent_task_id      INTEGER,
    exec_state          TEXT                    -- runtime_state.ExecutionState JSON
);
CREATE INDEX IF NOT EXISTS ix_instances_created ON instances (created_at, instance_id);

CREATE TABLE IF NOT EXISTS history (
    instance_id  TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    event        TEXT NOT NULL,
    PRIMARY KEY (instance_id, seq)
) WITHOUT ROWID;

-- Events waiting to be delivered to an orchestration. Timers are rows whose visible_at lies in
-- the future; nothing sleeps.
CREATE TABLE IF NOT EXISTS messages (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id   TEXT NOT NULL,
    execution_id  TEXT,                         -- NULL: any execution (external events, control)
    visible_at    INTEGER NOT NULL,             -- microseconds since the epoch (host clock)
    event_type    INTEGER NOT NULL,
    task_id       INTEGER,
    event         TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_messages_visible ON messages (visible_at);
CREATE INDEX IF NOT EXISTS ix_messages_instance ON messages (instance_id, id);

-- Activity invocations; a lease marks one in flight. Leases of a dead process are released
-- at start-up, so its in-flight activities run again (at least once, as in production).
CREATE TABLE IF NOT EXISTS activities (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id   TEXT NOT NULL,
    execution_id  TEXT NOT NULL,
    task_id       INTEGER NOT NULL,
    name          TEXT NOT NULL,
    input         TEXT,
    lock_token    TEXT,
    attempts      INTEGER NOT NULL DEFAULT 0,
    UNIQUE (instance_id, execution_id, task_id)
);

CREATE TABLE IF NOT EXISTS meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

-- Durable entities. An entity is also an instance row (id @name@key, status Running) whose
-- queued messages are its operation requests; this table holds what its function returned.
CREATE TABLE IF NOT EXISTS entities (
    instance_id        TEXT PRIMARY KEY,
    name               TEXT NOT NULL,           -- lowercased entity name
    entity_key         TEXT NOT NULL,
    entity_exists      INTEGER NOT NULL,
    state              TEXT,                    -- JSON text as the entity function returned it
    last_operation_at  TEXT NOT NULL            -- ISO-8601 UTC, fixed width
);
CREATE INDEX IF NOT EXISTS ix_entities_last_op ON entities (last_operation_at, instance_id);

-- The most recent operations of each entity (the dashboard shows them); trimmed per entity.
CREATE TABLE IF NOT EXISTS entity_operations (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id  TEXT NOT NULL,
    at           TEXT NOT NULL,
    operation    TEXT NOT NULL,
    caller       TEXT,
    signal       INTEGER NOT NULL,
    succeeded    INTEGER NOT NULL,
    result       TEXT,
    duration_ms  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_entity_operations ON entity_operations (instance_id, id);
