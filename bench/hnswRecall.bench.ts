/**
 * What bounds pgvector's HNSW recall on the fleet bench's corpus (`npm run bench -- hnswRecall`): the corpus's
 * vectors in a bare PGlite table, searched as `PgvectorVectors` searches (the 50 nearest, then the first 10), at
 * several `hnsw.ef_search` values, with and without the iterative scan, over one graph per `m:ef_construction`
 * pair (built after loading). Each recall@10 is counted against exact cosine computed here, and also against
 * PGlite's own exact ranking (the index switched off), so the bench checks its reference too. A memory counts as
 * found when it is at least as near as the exact 10th (memories of the same words share a vector); the figure
 * counting only the 10 exact search listed is printed beside it.
 *
 * TASKMEM_BENCH_HNSW_SIZE (default 20000) sets the memories; TASKMEM_BENCH_HNSW_GRAPHS (default 16:64, pgvector's
 * default graph and the store's) the graphs, e.g. 16:64,16:200,32:128; TASKMEM_BENCH_HNSW_EF (default
 * 40,100,200,400,1000) the ef_search values.
 */
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { cosineSimilarity } from '../src/memory/embedding.js';
import { DIMS, topIndices, Vocabulary } from './sceneCorpus.js';

const SIZE = Number(process.env.TASKMEM_BENCH_HNSW_SIZE ?? 20_000);
const GRAPHS = (process.env.TASKMEM_BENCH_HNSW_GRAPHS ?? '16:64').split(',').map((g) => g.split(':').map(Number) as [number, number]);
const EF = (process.env.TASKMEM_BENCH_HNSW_EF ?? '40,100,200,400,1000').split(',').map(Number);
const QUERIES = 40;
/** Rows a recall of 10 asks the vector ranking for (SqlMemoryRecords: 5 × the limit, at least 50). */
const POOL = 50;

export default async function hnswRecallBench(): Promise<void> {
  const words = new Vocabulary(20260505);
  const vectors = new Float32Array(SIZE * DIMS);
  const vectorOf = (i: number) => vectors.subarray(i * DIMS, (i + 1) * DIMS);
  for (let i = 0; i < SIZE; i++) words.embed(words.memoryText(), vectorOf(i));
  const queries = Array.from({ length: QUERIES }, () => {
    const query = new Float32Array(DIMS);
    words.embed(words.question(), query);
    return query;
  });
  const similarities = queries.map((q) => Float64Array.from({ length: SIZE }, (_, i) => cosineSimilarity(q, vectorOf(i))));
  const exact = similarities.map((s) => topIndices(s, 10));
  const near = similarities.map((s, q) => s.filter((x) => x >= s[exact[q]![9]!]! - 0.01).length);
  const literal = (v: Float32Array) => `[${Array.from(v).join(',')}]`;

  const db = await PGlite.create({ extensions: { vector } });
  try {
    await db.exec(`CREATE EXTENSION vector; CREATE TABLE corpus (id INTEGER PRIMARY KEY, v vector(${DIMS}))`);
    for (let from = 0; from < SIZE; from += 500) {
      const rows = Array.from({ length: Math.min(SIZE, from + 500) - from }, (_, k) => from + k);
      await db.query(
        `INSERT INTO corpus VALUES ${rows.map((id, k) => `(${id}, $${k + 1}::vector)`).join(', ')}`,
        rows.map((id) => literal(vectorOf(id))),
      );
    }
    console.log(
      `hnswRecall: ${SIZE.toLocaleString('en')} memories of the fleet corpus, ${QUERIES} questions; memories within 0.01 ` +
        `of the exact 10th's cosine: ${(near.reduce((a, b) => a + b, 0) / QUERIES).toFixed(1)} per question on average`,
    );
    const measure = async (label: string, settings: string) => {
      let found = 0;
      let listed = 0;
      const started = performance.now();
      for (const [q, query] of queries.entries()) {
        const nearest = await db.transaction(async (tx: Transaction) => {
          await tx.exec(settings);
          const { rows } = await tx.query<{ id: number }>(
            `SELECT id FROM (SELECT id, v <=> $1::vector AS distance FROM corpus ORDER BY distance LIMIT ${POOL}) AS n ORDER BY distance`,
            [literal(query)],
          );
          return rows.slice(0, 10).map((r) => r.id);
        });
        const tenth = similarities[q]![exact[q]![9]!]!;
        found += nearest.filter((i) => similarities[q]![i]! >= tenth).length;
        listed += nearest.filter((i) => exact[q]!.includes(i)).length;
      }
      const ms = (performance.now() - started) / QUERIES;
      console.log(
        `${label.padEnd(44)} recall@10 ${(found / QUERIES / 10).toFixed(3)} (exact's own 10: ${(listed / QUERIES / 10).toFixed(3)}), ${ms.toFixed(1)} ms per question`,
      );
    };
    await measure('PGlite exact (no index)', 'SET LOCAL enable_indexscan = off');
    for (const [m, efConstruction] of GRAPHS) {
      await db.exec('DROP INDEX IF EXISTS corpus_hnsw');
      const built = performance.now();
      await db.exec(
        `SET maintenance_work_mem = '512MB'; CREATE INDEX corpus_hnsw ON corpus USING hnsw (v vector_cosine_ops) WITH (m = ${m}, ef_construction = ${efConstruction})`,
      );
      console.log(`graph m ${m}, ef_construction ${efConstruction}: built in ${((performance.now() - built) / 1000).toFixed(1)} s`);
      for (const ef of EF) {
        // Sequential scans off: on a small table the planner would rank exactly and the graph would go unmeasured.
        await measure(`  ef_search ${ef}`, `SET LOCAL enable_seqscan = off; SET LOCAL hnsw.ef_search = ${ef}`);
        await measure(
          `  ef_search ${ef}, iterative relaxed_order`,
          `SET LOCAL enable_seqscan = off; SET LOCAL hnsw.ef_search = ${ef}; SET LOCAL hnsw.iterative_scan = relaxed_order`,
        );
      }
    }
  } finally {
    await db.close();
  }
}
