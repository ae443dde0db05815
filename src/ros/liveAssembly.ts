import { openAnswerer } from '../answer/openAnswerer.js';
import type { Config } from '../config/schema.js';
import type { EmbeddingSource } from '../embed/EmbeddingSource.js';
import { openEmbeddingSource } from '../embed/openEmbeddingSource.js';
import { openTaskFocus } from '../focus/openTaskFocus.js';
import { openMemorizer } from '../memorize/openMemorizer.js';
import { openMemoryStore } from '../memory/openMemoryStore.js';
import { MemoryPipeline } from '../pipeline/MemoryPipeline.js';
import { probeEndpoint } from '../pipeline/probeEndpoint.js';
import type { MemoryNodeAssembly } from './MemoryNode.js';

/**
 * The stages the configuration describes, composed as `taskmem ingest` composes them, for the live node: the
 * store of `store.*`, the memorizer of `memorizer.*` and `focus.*` (policy, focus wrapper, perception fallback),
 * the segmenter, keyframe converter and speech track of `segment.*`, `camera.*` and `audio.*`, and the answerer of
 * `answerer.*` with the embedding source of `embedding.*`. `env` holds the API keys named by `*.api_key_env`.
 */
export function liveAssembly(env: NodeJS.ProcessEnv = process.env): MemoryNodeAssembly {
  // One embedding source serves task grouping and answering; opened again only when embedding.* changed.
  let embedder: { key: string; source: Promise<EmbeddingSource | null> } | undefined;
  const embeddings = (config: Config) => {
    const key = JSON.stringify(config.embedding);
    if (embedder?.key !== key) embedder = { key, source: openEmbeddingSource(config, env) };
    return embedder.source;
  };
  return {
    openStore: (config, logger) => openMemoryStore(config.store, logger),
    focus: async ({ config, store }) => openTaskFocus(config, { store, embedder: await embeddings(config), env }),
    pipeline: async ({ config, store, focus, episode, logger, now }) => {
      const opened = await openMemorizer(config, { store, now, logger, env });
      const pipeline = await MemoryPipeline.fromConfig(config, {
        firstEpisode: episode,
        memorizer: opened.memorizer,
        fallback: opened.fallback,
        store,
        logger,
        focus: () => focus.context(),
      });
      return { pipeline, memorizer: opened.description, focusCost: opened.focusCost };
    },
    answerer: async ({ config, store, logger }) => openAnswerer(config, store, await embeddings(config), logger, env),
    probeEndpoint: (config) => (config.memorizer.url ? probeEndpoint(config.memorizer.url).then((r) => r.reachable) : null),
  };
}
