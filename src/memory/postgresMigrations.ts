/**
 * The PostgreSQL schema as ordered migrations (entry i takes the database from version i to i + 1; released
 * entries are never edited). `vectorType` is `vector` when the server has pgvector, else `bytea` (float32
 * little-endian, with a binary code beside it for the in-memory Hamming pass). Times are BIGINT ROS nanoseconds.
 */
export function postgresMigrations(pgvector: boolean): string[] {
  return [
    `
    CREATE TABLE memories (
      seq BIGSERIAL PRIMARY KEY,
      id TEXT NOT NULL UNIQUE,
      robot_id TEXT NOT NULL,
      episode INTEGER NOT NULL,
      segment_index INTEGER NOT NULL,
      start_ns BIGINT NOT NULL,
      end_ns BIGINT NOT NULL,
      created_ns BIGINT NOT NULL,
      text TEXT NOT NULL,
      transcript TEXT NOT NULL,
      source TEXT NOT NULL,
      task_group TEXT,
      focus_depth INTEGER NOT NULL,
      quality TEXT NOT NULL,
      pose_stamp BIGINT, pose_frame TEXT,
      pose_x DOUBLE PRECISION, pose_y DOUBLE PRECISION, pose_z DOUBLE PRECISION, pose_yaw DOUBLE PRECISION,
      model TEXT NOT NULL,
      template TEXT NOT NULL,
      search TSVECTOR GENERATED ALWAYS AS (
        setweight(to_tsvector('english', text), 'A') || setweight(to_tsvector('english', transcript), 'B')
      ) STORED
    );
    CREATE INDEX memories_search ON memories USING GIN (search);
    CREATE INDEX memories_window ON memories (robot_id, episode, end_ns);
    CREATE INDEX memories_start ON memories (start_ns);
    CREATE INDEX memories_place ON memories (pose_x, pose_y) WHERE pose_x IS NOT NULL;

    CREATE TABLE memory_thumbnails (
      seq BIGINT NOT NULL REFERENCES memories(seq) ON DELETE CASCADE,
      idx INTEGER NOT NULL,
      jpeg BYTEA NOT NULL,
      PRIMARY KEY (seq, idx)
    );

    -- vseq grows with every stored vector, so a reader's in-memory index can load what is new since it looked.
    CREATE TABLE memory_vectors (
      vseq BIGSERIAL PRIMARY KEY,
      seq BIGINT NOT NULL UNIQUE REFERENCES memories(seq) ON DELETE CASCADE,
      ${pgvector ? 'embedding vector NOT NULL' : 'code BYTEA NOT NULL, embedding BYTEA NOT NULL'}
    );

    CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO store_meta (key, value) VALUES ('vectors', '${pgvector ? 'pgvector' : 'bytea'}');

    CREATE TABLE failures (
      id TEXT PRIMARY KEY,
      robot_id TEXT NOT NULL,
      episode INTEGER NOT NULL,
      segment_index INTEGER NOT NULL,
      start_ns BIGINT NOT NULL,
      end_ns BIGINT NOT NULL,
      reason TEXT NOT NULL,
      attempts INTEGER NOT NULL
    );

    CREATE TABLE progress (key TEXT PRIMARY KEY, done_ns BIGINT NOT NULL);

    CREATE TABLE tasks (
      id TEXT PRIMARY KEY,
      robot_id TEXT NOT NULL,
      stamp_ns BIGINT NOT NULL,
      text TEXT NOT NULL,
      task_group TEXT NOT NULL,
      kind TEXT NOT NULL
    );
    CREATE INDEX tasks_recent ON tasks (robot_id, stamp_ns);

    CREATE TABLE preferences (
      id TEXT PRIMARY KEY,
      segment_id TEXT NOT NULL,
      task_group TEXT NOT NULL,
      prompt TEXT NOT NULL,
      chosen TEXT NOT NULL,
      rejected TEXT NOT NULL,
      examples TEXT NOT NULL,
      chosen_embedding BYTEA,
      rejected_embedding BYTEA,
      created_ns BIGINT NOT NULL
    );
    CREATE INDEX preferences_group ON preferences (task_group, created_ns);

    CREATE TABLE focus_vectors (
      task_group TEXT NOT NULL,
      version INTEGER NOT NULL,
      vector BYTEA NOT NULL,
      pairs INTEGER NOT NULL,
      trained_ns BIGINT NOT NULL,
      retired BOOLEAN NOT NULL DEFAULT false,
      PRIMARY KEY (task_group, version)
    );
    `,
    `
    CREATE TABLE answers (
      task_id TEXT PRIMARY KEY REFERENCES tasks (id) ON DELETE CASCADE,
      text TEXT NOT NULL,
      abstained BOOLEAN NOT NULL,
      confidence DOUBLE PRECISION NOT NULL,
      evidence TEXT NOT NULL,
      answered_by TEXT NOT NULL
    );
    CREATE INDEX tasks_stamp ON tasks (stamp_ns);
    `,
    `
    -- The longest span, read from this index, bounds a time window within memories_start: a memory overlapping
    -- [since, until) starts after since - longest span (see recallFilter).
    CREATE INDEX memories_span ON memories ((end_ns - start_ns));
    `,
    `
    ALTER TABLE preferences ADD COLUMN request TEXT;
    ALTER TABLE preferences ADD COLUMN chosen_completion TEXT;
    ALTER TABLE preferences ADD COLUMN rejected_completion TEXT;
    CREATE TABLE preference_images (sha256 TEXT PRIMARY KEY, jpeg BYTEA NOT NULL);
    `,
    `
    -- Each vector is recorded with the embedding model that made it: at most one per memory and model, and the
    -- dimensions of each model's vectors in vector_models. Vectors stored before this version are kept under the
    -- model '' (unknown): no embedding source is named '', so they are never compared with a named model's vectors.
    CREATE TABLE vector_models (model TEXT PRIMARY KEY, dims INTEGER NOT NULL);
    INSERT INTO vector_models (model, dims) SELECT '', CAST(value AS INTEGER) FROM store_meta WHERE key = 'vector_dims';
    DELETE FROM store_meta WHERE key = 'vector_dims';
    ALTER TABLE memory_vectors ADD COLUMN model TEXT NOT NULL DEFAULT '';
    ALTER TABLE memory_vectors ALTER COLUMN model DROP DEFAULT;
    ALTER TABLE memory_vectors DROP CONSTRAINT memory_vectors_seq_key;
    ALTER TABLE memory_vectors ADD CONSTRAINT memory_vectors_model_seq_key UNIQUE (model, seq);
    -- The cascade from memories finds a memory's vectors by seq.
    CREATE INDEX memory_vectors_memory ON memory_vectors (seq);
    -- One name for the vector in both layouts (pgvector's vector, or bytea beside its binary code).
    ALTER TABLE memory_vectors RENAME COLUMN embedding TO vector;
    `,
    `
    -- Person ids seen in a memory's segment (JSON array), and one row each for finding a person's memories; see
    -- sqliteMigrations for why they do not reference identities.
    ALTER TABLE memories ADD COLUMN people TEXT NOT NULL DEFAULT '[]';
    CREATE TABLE memory_people (
      person_id TEXT NOT NULL,
      seq BIGINT NOT NULL REFERENCES memories(seq) ON DELETE CASCADE,
      PRIMARY KEY (person_id, seq)
    );
    CREATE INDEX memory_people_seq ON memory_people (seq);

    -- People told apart by face; a sequence never hands out a number twice, so a forgotten id is never reused.
    CREATE TABLE identities (
      num BIGSERIAL PRIMARY KEY,
      name TEXT,
      centroid BYTEA NOT NULL,
      first_ns BIGINT NOT NULL,
      last_ns BIGINT NOT NULL,
      sightings INTEGER NOT NULL
    );
    CREATE TABLE identity_embeddings (
      num BIGINT NOT NULL REFERENCES identities (num) ON DELETE CASCADE,
      memory_id TEXT NOT NULL,
      stamp_ns BIGINT NOT NULL,
      embedding BYTEA NOT NULL,
      PRIMARY KEY (num, memory_id)
    );
    `,
    `
    -- See the SQLite migration: episodes numbered per robot under its lock, with the lease of their writer.
    CREATE TABLE episodes (
      robot_id TEXT NOT NULL,
      episode INTEGER NOT NULL,
      source TEXT NOT NULL,
      ordinal INTEGER NOT NULL,
      holder TEXT NOT NULL,
      lease_until_ms BIGINT NOT NULL,
      PRIMARY KEY (robot_id, episode),
      UNIQUE (robot_id, source, ordinal)
    );
    `,
    pgvector
      ? `
    -- Each embedding model's vectors get an HNSW index (cosine distance) of their own: a partial index over the
    -- model's rows with the column cast to its dimension (pgvector indexes one dimension; vector(d) up to 2,000,
    -- halfvec(d) up to 4,000; a larger model is ranked exactly). PgvectorVectors queries the same expression.
    -- SECURITY DEFINER: called when a model's first vector is recorded, by a robot's role that may lack the
    -- ownership CREATE INDEX needs.
    CREATE FUNCTION taskmem_vector_index(model TEXT, dims INTEGER) RETURNS VOID
    LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
    DECLARE
      cast_to TEXT := CASE WHEN dims BETWEEN 1 AND 2000 THEN 'vector' WHEN dims BETWEEN 2001 AND 4000 THEN 'halfvec' END;
    BEGIN
      IF cast_to IS NOT NULL THEN
        EXECUTE format(
          'CREATE INDEX IF NOT EXISTS %I ON memory_vectors USING hnsw ((vector::%s(%s)) %s_cosine_ops) WHERE model = %L',
          'memory_vectors_hnsw_' || left(md5(model), 16), cast_to, dims, cast_to, model);
      END IF;
    END $$;
    SELECT taskmem_vector_index(model, dims) FROM vector_models;
    `
      : `
    -- Without pgvector, vectors are searched in memory (BinaryCodeVectors): there is nothing to index.
    SELECT 1;
    `,
  ];
}
