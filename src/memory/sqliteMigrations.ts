/**
 * The SQLite schema as an ordered list of migrations: entry i takes a file from schema version i to i + 1.
 * Entries are never edited once released; a change is a new entry. Times are integer ROS nanoseconds.
 */
export const SQLITE_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE memories (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    robot_id TEXT NOT NULL,
    episode INTEGER NOT NULL,
    segment_index INTEGER NOT NULL,
    start_ns INTEGER NOT NULL,
    end_ns INTEGER NOT NULL,
    created_ns INTEGER NOT NULL,
    text TEXT NOT NULL,
    transcript TEXT NOT NULL,
    source TEXT NOT NULL,
    task_group TEXT,
    focus_depth INTEGER NOT NULL,
    quality TEXT NOT NULL,
    pose_stamp INTEGER, pose_frame TEXT, pose_x REAL, pose_y REAL, pose_z REAL, pose_yaw REAL,
    model TEXT NOT NULL,
    template TEXT NOT NULL
  );
  CREATE INDEX memories_window ON memories(robot_id, episode, end_ns);
  CREATE INDEX memories_start ON memories(start_ns);
  CREATE INDEX memories_place ON memories(pose_x, pose_y) WHERE pose_x IS NOT NULL;

  CREATE VIRTUAL TABLE memories_fts USING fts5(
    text, transcript, content='memories', content_rowid='seq', tokenize='porter unicode61 remove_diacritics 2'
  );
  INSERT INTO memories_fts(memories_fts, rank) VALUES ('rank', 'bm25(1.0, 0.5)');
  CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
    INSERT INTO memories_fts(rowid, text, transcript) VALUES (new.seq, new.text, new.transcript);
  END;
  CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
    INSERT INTO memories_fts(memories_fts, rowid, text, transcript) VALUES ('delete', old.seq, old.text, old.transcript);
  END;
  CREATE TRIGGER memories_fts_update AFTER UPDATE OF text, transcript ON memories BEGIN
    INSERT INTO memories_fts(memories_fts, rowid, text, transcript) VALUES ('delete', old.seq, old.text, old.transcript);
    INSERT INTO memories_fts(rowid, text, transcript) VALUES (new.seq, new.text, new.transcript);
  END;

  CREATE TABLE memory_thumbnails (
    seq INTEGER NOT NULL REFERENCES memories(seq) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    jpeg BLOB NOT NULL,
    PRIMARY KEY (seq, idx)
  ) WITHOUT ROWID;

  -- code: the binary quantisation of vector (see BinaryVectorIndex), loaded into memory for the first pass.
  -- vseq only grows (AUTOINCREMENT), so a reader loads what other connections stored since it last looked.
  CREATE TABLE memory_vectors (
    vseq INTEGER PRIMARY KEY AUTOINCREMENT,
    seq INTEGER NOT NULL UNIQUE REFERENCES memories(seq) ON DELETE CASCADE,
    code BLOB NOT NULL,
    vector BLOB NOT NULL
  );

  CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

  CREATE TABLE failures (
    id TEXT PRIMARY KEY,
    robot_id TEXT NOT NULL,
    episode INTEGER NOT NULL,
    segment_index INTEGER NOT NULL,
    start_ns INTEGER NOT NULL,
    end_ns INTEGER NOT NULL,
    reason TEXT NOT NULL,
    attempts INTEGER NOT NULL
  );

  CREATE TABLE progress (key TEXT PRIMARY KEY, done_ns INTEGER NOT NULL);

  CREATE TABLE tasks (
    id TEXT PRIMARY KEY,
    robot_id TEXT NOT NULL,
    stamp_ns INTEGER NOT NULL,
    text TEXT NOT NULL,
    task_group TEXT NOT NULL,
    kind TEXT NOT NULL
  );
  CREATE INDEX tasks_recent ON tasks(robot_id, stamp_ns);

  CREATE TABLE preferences (
    id TEXT PRIMARY KEY,
    segment_id TEXT NOT NULL,
    task_group TEXT NOT NULL,
    prompt TEXT NOT NULL,
    chosen TEXT NOT NULL,
    rejected TEXT NOT NULL,
    examples TEXT NOT NULL,
    chosen_embedding BLOB,
    rejected_embedding BLOB,
    created_ns INTEGER NOT NULL
  );
  CREATE INDEX preferences_group ON preferences(task_group, created_ns);

  -- Every trained version is kept; a reset retires the group's versions so numbering never repeats.
  CREATE TABLE focus_vectors (
    task_group TEXT NOT NULL,
    version INTEGER NOT NULL,
    vector BLOB NOT NULL,
    pairs INTEGER NOT NULL,
    trained_ns INTEGER NOT NULL,
    retired INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (task_group, version)
  );
  `,
  `
  -- The answer to a task (a question), one per task; evidence is a JSON array of memory ids.
  CREATE TABLE answers (
    task_id TEXT PRIMARY KEY REFERENCES tasks(id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    abstained INTEGER NOT NULL,
    confidence REAL NOT NULL,
    evidence TEXT NOT NULL,
    answered_by TEXT NOT NULL
  );
  CREATE INDEX tasks_stamp ON tasks(stamp_ns);
  `,
  `
  -- The longest span, read from this index, bounds a time window within memories_start: a memory overlapping
  -- [since, until) starts in [since - longest span, until). Recall uses it to count a window's memories cheaply.
  CREATE INDEX memories_span ON memories((end_ns - start_ns));
  `,
  `
  -- A preference pair keeps what a trainer needs: the memorizer request as sent (JSON, images by SHA-256) and both
  -- whole completions with their thinking. Images are kept once however many requests show them.
  ALTER TABLE preferences ADD COLUMN request TEXT;
  ALTER TABLE preferences ADD COLUMN chosen_completion TEXT;
  ALTER TABLE preferences ADD COLUMN rejected_completion TEXT;
  CREATE TABLE preference_images (sha256 TEXT PRIMARY KEY, jpeg BLOB NOT NULL);
  `,
  `
  -- Each vector is recorded with the embedding model that made it: at most one per memory and model, and the
  -- dimensions of each model's vectors in vector_models. Vectors stored before this version are kept under the
  -- model '' (unknown): no embedding source is named '', so they are never compared with a named model's vectors.
  CREATE TABLE vector_models (model TEXT PRIMARY KEY, dims INTEGER NOT NULL);
  INSERT INTO vector_models (model, dims) SELECT '', CAST(value AS INTEGER) FROM store_meta WHERE key = 'vector_dims';
  DELETE FROM store_meta WHERE key = 'vector_dims';

  -- (model, seq) finds a model's vectors, in memory order, and a memory's vector of a model. It is the only index:
  -- a memory's vectors are deleted by the store with the memory, model by model (vector_models lists them),
  -- rather than by a cascade that would need a second index on seq, written with every vector.
  CREATE TABLE memory_vectors_by_model (
    vseq INTEGER PRIMARY KEY AUTOINCREMENT,
    seq INTEGER NOT NULL,
    model TEXT NOT NULL,
    code BLOB NOT NULL,
    vector BLOB NOT NULL,
    UNIQUE (model, seq)
  );
  INSERT INTO memory_vectors_by_model (vseq, seq, model, code, vector) SELECT vseq, seq, '', code, vector FROM memory_vectors;
  -- vseq goes on growing from where it was, so a reader's in-memory index never mistakes a new row for one it has.
  DELETE FROM sqlite_sequence WHERE name = 'memory_vectors_by_model';
  INSERT INTO sqlite_sequence (name, seq) SELECT 'memory_vectors_by_model', seq FROM sqlite_sequence WHERE name = 'memory_vectors';
  DROP TABLE memory_vectors;
  ALTER TABLE memory_vectors_by_model RENAME TO memory_vectors;
  `,
  `
  -- The person ids seen in a memory's segment: a JSON array read with the memory, and one row each for finding a
  -- person's memories. Rows go with their memory; they do not reference identities, so forgetting an identity
  -- keeps the memories that name it.
  ALTER TABLE memories ADD COLUMN people TEXT NOT NULL DEFAULT '[]';
  CREATE TABLE memory_people (
    person_id TEXT NOT NULL,
    seq INTEGER NOT NULL REFERENCES memories(seq) ON DELETE CASCADE,
    PRIMARY KEY (person_id, seq)
  ) WITHOUT ROWID;
  CREATE INDEX memory_people_seq ON memory_people(seq);

  -- People told apart by face (see IdentityRecords). AUTOINCREMENT never hands out a number twice, so the id of a
  -- forgotten person (person_<num>) is never given to someone else. centroid: the mean of the kept embeddings,
  -- unit length, float32 little-endian.
  CREATE TABLE identities (
    num INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT,
    centroid BLOB NOT NULL,
    first_ns INTEGER NOT NULL,
    last_ns INTEGER NOT NULL,
    sightings INTEGER NOT NULL
  );
  -- Face embeddings an identity's centroid is the mean of, at most one per memory (segment).
  CREATE TABLE identity_embeddings (
    num INTEGER NOT NULL REFERENCES identities(num) ON DELETE CASCADE,
    memory_id TEXT NOT NULL,
    stamp_ns INTEGER NOT NULL,
    embedding BLOB NOT NULL,
    PRIMARY KEY (num, memory_id)
  );
  `,
  `
  -- A deleted memory's words leave the full-text index at once, instead of staying behind a delete marker until
  -- segments merge (a forgotten word survived even VACUUM); what earlier deletes left is merged away now.
  INSERT INTO memories_fts(memories_fts, rank) VALUES ('secure-delete', 1);
  INSERT INTO memories_fts(memories_fts) VALUES ('optimize');
  `,
  `
  -- Which run writes each episode of a robot: its source (a recording's content, or one run of the node) and the
  -- source's ordinal episode (a clock that jumps back starts another). Episodes are numbered here, one past the
  -- highest of a robot, in a transaction that holds the robot's lock, so two writers never share one; a writer
  -- holds a lease on its source's episodes (holder, lease_until_ms: wall-clock milliseconds, 0 when released).
  CREATE TABLE episodes (
    robot_id TEXT NOT NULL,
    episode INTEGER NOT NULL,
    source TEXT NOT NULL,
    ordinal INTEGER NOT NULL,
    holder TEXT NOT NULL,
    lease_until_ms INTEGER NOT NULL,
    PRIMARY KEY (robot_id, episode),
    UNIQUE (robot_id, source, ordinal)
  );
  `,
];
