//! The DB schema. Bump [`SCHEMA_VERSION`] on any change: readers refuse other versions and ask
//! for `drydock db update`, which rebuilds the file.

pub const SCHEMA_VERSION: u32 = 1;

/// Tables, created before the bulk insert.
pub(crate) const TABLES: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE advisory (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    summary TEXT,
    details TEXT,
    published TEXT,
    modified TEXT,
    informational TEXT,
    aliases TEXT NOT NULL,      -- JSON array
    severities TEXT NOT NULL,   -- JSON array of Severity
    refs TEXT NOT NULL,         -- JSON array of Reference
    cwes TEXT NOT NULL          -- JSON array
);
CREATE TABLE affected (
    advisory_id TEXT NOT NULL,
    source TEXT NOT NULL,
    ecosystem TEXT NOT NULL,
    release TEXT NOT NULL,
    package TEXT NOT NULL,
    status TEXT NOT NULL,
    ranges TEXT NOT NULL,       -- JSON array of Range
    versions TEXT NOT NULL,     -- JSON array
    fixed TEXT NOT NULL,        -- JSON array
    urgency TEXT,
    informational TEXT,
    ecosystem_specific TEXT,    -- JSON
    database_specific TEXT      -- JSON
);
CREATE TABLE alias (id TEXT PRIMARY KEY, canonical TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE nvd (
    cve TEXT PRIMARY KEY,
    published TEXT,
    modified TEXT,
    description TEXT,
    severities TEXT NOT NULL,
    cwes TEXT NOT NULL,
    refs TEXT NOT NULL
);
";

/// Indexes, created after the bulk insert (faster than maintaining them row by row).
pub(crate) const INDEXES: &str = "
CREATE INDEX affected_lookup ON affected (ecosystem, release, package);
CREATE INDEX alias_canonical ON alias (canonical);
";
