import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, flattenNested } from './schema.js';
import { paramLayer, type ParamLayer } from './ParamLayer.js';

export interface NodeIdentity {
  /** Node name the ROS form's keys are matched against. */
  nodeName: string;
  /** Node namespace, `/` for the root. */
  namespace: string;
}

/**
 * Reads a YAML params file in either form:
 * - ROS form, as `ros2 run … --params-file` takes it: `<node>: { ros__parameters: {...} }` where `<node>` is
 *   `/**`, a fully qualified node name (`/robot1/taskmem`; a name without leading slash is taken from the root
 *   namespace) or a pattern with `*` (one name token) and `**` (any number). Every entry matching the node is
 *   applied, later entries winning, as rcl does.
 * - plain YAML of the parameters themselves (`segment: { duration_s: 5 }`).
 * Nested and dotted spellings (`segment.duration_s: 5`) are both accepted. Throws ConfigError naming the file
 * and, for an invalid value, the parameter, value and allowed range.
 */
export function loadParamsFile(path: string, node: NodeIdentity = { nodeName: 'taskmem', namespace: '/' }): ParamLayer {
  const file = resolve(path);
  const source = `params file ${file}`;
  let document: unknown;
  try {
    document = parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`taskmem: cannot read ${source}: ${(error as Error).message}`);
  }
  if (document === null || document === undefined) return paramLayer(source, {});
  if (!isMapping(document)) throw new ConfigError(`taskmem: ${source} must hold a mapping of parameters`);

  const entries = Object.entries(document);
  const rosForm = entries.some(([, value]) => isMapping(value) && 'ros__parameters' in value);
  if (!rosForm) return paramLayer(source, flattenNested(document));

  const fqn = `${node.namespace.replace(/\/+$/, '')}/${node.nodeName}`;
  const matching = entries.filter(([key]) => nodePattern(key).test(fqn));
  if (matching.length === 0) {
    throw new ConfigError(
      `taskmem: ${source} has no ros__parameters for node ${fqn} ` +
        `(its entries: ${entries.map(([key]) => key).join(', ')}); use /** to match any node`,
    );
  }
  const values: Record<string, unknown> = {};
  for (const [key, entry] of matching) {
    const params = isMapping(entry) ? entry['ros__parameters'] : undefined;
    if (params === null || params === undefined) continue;
    if (!isMapping(params)) throw new ConfigError(`taskmem: ${source}: ${key}.ros__parameters must be a mapping`);
    Object.assign(values, flattenNested(params));
  }
  return paramLayer(source, values);
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** rcl's node-name wildcards: `**` any number of tokens, `*` one token. */
function nodePattern(key: string): RegExp {
  const absolute = key.startsWith('/') ? key : `/${key}`;
  const source = absolute
    .split(/(\/\*\*|\*)/)
    .map((part) => (part === '/**' ? '(?:/[^/]+)*' : part === '*' ? '[^/]+' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`);
}
