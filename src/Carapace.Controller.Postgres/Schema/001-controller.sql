-- Carapace's controller state: the PostgreSQL form of the tables the embedded platform keeps in SQLite (see the
-- Schema constants of ActivationStore, ActionRegistry, PackageRegistry, TriggerRegistry and NamespaceCredentials).
-- Column names and meanings are the same, so one set of stores runs on both. Text compares byte by byte
-- (COLLATE "C"), as in SQLite: the registry finds a package's actions by the name range ['p/', 'p0').
-- Integers read as 32-bit by the stores are integer, all others bigint. Nothing here is plaintext user data or a key:
-- sealed envelopes, their sizes and digests, public code, deployment metadata, and salted HMACs of credentials.

CREATE TABLE namespaces (
    name       text COLLATE "C" PRIMARY KEY,
    created_at bigint NOT NULL
);

CREATE TABLE blobs (
    sha256 text COLLATE "C" PRIMARY KEY,
    size   bigint NOT NULL,
    bytes  bytea  NOT NULL
);

CREATE TABLE actions (
    namespace     text COLLATE "C" NOT NULL REFERENCES namespaces (name),
    name          text COLLATE "C" NOT NULL,
    version       text    NOT NULL,
    kind          text    NOT NULL,
    module_sha256 text,
    module_size   bigint  NOT NULL,
    components    text    NOT NULL,
    memory_mib    integer NOT NULL,
    timeout_ms    integer NOT NULL,
    annotations   text    NOT NULL,
    parameters    text    NOT NULL,
    confidential  bigint  NOT NULL,
    publish       bigint  NOT NULL,
    updated_at    bigint  NOT NULL,
    image_sha256  text,
    image_size    bigint,
    image_id      text,
    image_root    text,
    PRIMARY KEY (namespace, name)
);
CREATE INDEX actions_by_update ON actions (namespace, updated_at DESC, name);

CREATE TABLE packages (
    namespace         text COLLATE "C" NOT NULL,
    name              text COLLATE "C" NOT NULL,
    version           text   NOT NULL,
    binding_namespace text COLLATE "C",
    binding_name      text COLLATE "C",
    annotations       text   NOT NULL,
    parameters        text   NOT NULL,
    publish           bigint NOT NULL,
    updated_at        bigint NOT NULL,
    PRIMARY KEY (namespace, name)
);
CREATE INDEX packages_by_update ON packages (namespace, updated_at DESC, name);

CREATE TABLE triggers (
    namespace   text COLLATE "C" NOT NULL,
    name        text COLLATE "C" NOT NULL,
    version     text   NOT NULL,
    annotations text   NOT NULL,
    parameters  text   NOT NULL,
    publish     bigint NOT NULL,
    updated_at  bigint NOT NULL,
    PRIMARY KEY (namespace, name)
);
CREATE INDEX triggers_by_update ON triggers (namespace, updated_at DESC, name);

CREATE TABLE rules (
    namespace   text COLLATE "C" NOT NULL,
    name        text COLLATE "C" NOT NULL,
    version     text   NOT NULL,
    trigger     text COLLATE "C" NOT NULL,
    action      text COLLATE "C" NOT NULL,
    status      text   NOT NULL,
    annotations text   NOT NULL,
    publish     bigint NOT NULL,
    updated_at  bigint NOT NULL,
    PRIMARY KEY (namespace, name)
);
CREATE INDEX rules_by_update ON rules (namespace, updated_at DESC, name);
CREATE INDEX rules_by_trigger ON rules (namespace, trigger, name);

CREATE TABLE activations (
    seq           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    activation_id text COLLATE "C" NOT NULL UNIQUE,
    namespace     text COLLATE "C" NOT NULL,
    name          text COLLATE "C" NOT NULL,
    version       text   NOT NULL,
    subject       text   NOT NULL,
    confidential  bigint NOT NULL,
    start_ms      bigint NOT NULL,
    end_ms        bigint,
    status        text,
    result        text,
    logs_size     bigint,
    logs_sha256   text,
    annotations   text   NOT NULL
);
CREATE INDEX activations_by_start ON activations (namespace, start_ms DESC, seq DESC);
-- Retention and recovery look for pending activations; few are pending at any time.
CREATE INDEX activations_pending ON activations (seq) WHERE status IS NULL;

CREATE TABLE activation_logs (
    activation_id text COLLATE "C" PRIMARY KEY,
    bytes         bytea NOT NULL
);

CREATE TABLE activation_outputs (
    activation_id text COLLATE "C" PRIMARY KEY,
    envelope      bytea,
    receipts      text NOT NULL
);

CREATE TABLE activation_links (
    activation_id text COLLATE "C" PRIMARY KEY,
    cause         text,
    components    text
);

-- A request id runs at most once: the primary key is the claim. Whoever inserts the row first runs the step; every
-- other node's insert of the same (request, chain, step) does nothing.
CREATE TABLE steps (
    request_id    text COLLATE "C" NOT NULL,
    chain_id      text COLLATE "C" NOT NULL,
    step          integer NOT NULL,
    activation_id text COLLATE "C",
    state         text    NOT NULL,
    error         text,
    claimed_ms    bigint  NOT NULL,
    finished_ms   bigint,
    PRIMARY KEY (request_id, chain_id, step)
);
CREATE INDEX steps_claimed ON steps (claimed_ms) WHERE state = 'claimed';

CREATE TABLE credentials (
    uuid      text COLLATE "C" PRIMARY KEY,
    namespace text COLLATE "C" NOT NULL,
    salt      bytea NOT NULL,
    key_hash  bytea NOT NULL
);
