import type { z } from 'zod';

/** The parameters the rules between parameters read, as the schema's fields have parsed them. */
interface Fields {
  focus: { grouping: 'given' | 'classifier' | 'embedding' };
  answerer: { url: string };
  memorizer: { url: string };
  embedding: { url: string; onnx_path: string };
  people: { match_similarity: number; new_below: number };
}

/**
 * The rules between parameters: a value that is valid alone but needs another parameter set. Each broken rule is
 * reported on the parameter whose value cannot take effect, with the value it has and what to set, so that a CLI
 * flag, a params file, `--ros-args` and `ros2 param set` are refused alike before anything is built from them.
 */
export function checkDependencies(config: Fields, context: z.RefinementCtx): void {
  const report = (path: [string, string], value: unknown, message: string) =>
    context.addIssue({ code: 'custom', path, message, params: { value } });
  if (config.focus.grouping === 'classifier' && !config.answerer.url && !config.memorizer.url)
    report(['focus', 'grouping'], 'classifier', 'needs a model to classify tasks: set answerer.url or memorizer.url');
  if (config.focus.grouping === 'embedding' && !config.embedding.url && !config.embedding.onnx_path)
    report(['focus', 'grouping'], 'embedding', 'needs an embedding source: set embedding.url or embedding.onnx_path');
  // Between the two a face stays unrecognised; above match_similarity it would be both someone and someone new.
  if (config.people.new_below > config.people.match_similarity)
    report(['people', 'new_below'], config.people.new_below, `must not exceed people.match_similarity (${config.people.match_similarity})`);
}
