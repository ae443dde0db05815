import type { Config } from '../config/schema.js';
import { ModelClient } from '../endpoint/ModelClient.js';
import type { EmbeddingSource } from '../embed/EmbeddingSource.js';
import type { TaskRecords } from '../memory/TaskRecords.js';
import { ClassifierGrouper, EmbeddingGrouper, FixedGrouper, type TaskGrouper } from '../focus/TaskGrouper.js';
import { TaskFocus } from '../focus/TaskFocus.js';
import { TaskLog } from '../focus/TaskLog.js';

/**
 * The task focus the configuration describes, started (the task log of `config.robot_id` replayed from the
 * store). Grouping of tasks that arrive without a group: `given` puts them in "general"; `classifier` asks the
 * answerer's model (else the memorizer's); `embedding` compares embeddings (embedding.*). The schema has made
 * sure that what the grouping needs is configured.
 */
export async function openTaskFocus(
  config: Pick<Config, 'robot_id' | 'focus' | 'answerer' | 'memorizer' | 'model_reply_max_mb'>,
  { store, embedder, env }: { store: TaskRecords; embedder: EmbeddingSource | null; env: NodeJS.ProcessEnv },
): Promise<TaskFocus> {
  const focus = new TaskFocus({
    taskLog: new TaskLog({
      store,
      robotId: config.robot_id,
      grouper: grouperFor(config, embedder, env),
      switchAfter: config.focus.switch_after,
    }),
    depth: config.focus.depth,
    maxExamples: config.focus.max_examples,
    adapters: config.focus.adapters,
  });
  await focus.start();
  return focus;
}

function grouperFor(
  config: Pick<Config, 'focus' | 'answerer' | 'memorizer' | 'model_reply_max_mb'>,
  embedder: EmbeddingSource | null,
  env: NodeJS.ProcessEnv,
): TaskGrouper {
  switch (config.focus.grouping) {
    case 'given':
      return new FixedGrouper();
    case 'embedding':
      if (!embedder) throw new Error('openTaskFocus: focus.grouping is embedding but no embedding source was opened');
      return new EmbeddingGrouper({ embedder });
    case 'classifier': {
      const [url, model, keyEnv, timeoutS] = config.answerer.url
        ? [config.answerer.url, config.answerer.model, config.answerer.api_key_env, config.answerer.timeout_s]
        : [config.memorizer.url, config.memorizer.model, config.memorizer.api_key_env, config.memorizer.timeout_s];
      if (!url) throw new Error('openTaskFocus: focus.grouping is classifier but neither answerer.url nor memorizer.url is set');
      const client = new ModelClient({
        url,
        apiKey: env[keyEnv] || null,
        timeoutMs: timeoutS * 1000,
        maxRetries: 1,
        maxReplyMb: config.model_reply_max_mb,
      });
      return new ClassifierGrouper({ client, model });
    }
  }
}
