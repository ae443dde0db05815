import { stringify } from 'yaml';
import { allowed, listParams, type ParamSpec } from './schema.js';

/**
 * config/taskmem.yaml: every parameter at its default, in ROS params-file form, each preceded by its
 * description. Keyed `/**` so it applies whatever the node's name and namespace. Doubles are written with a
 * decimal point because rcl types a YAML value by its spelling: `10` would arrive as an integer and be refused
 * for a double parameter.
 */
export function renderParamsYaml(): string {
  const lines = [
    '# taskmem parameters, all at their defaults. Generated from src/config/schema.ts by `npm run gen`: do not',
    '# edit; copy it, keep what you change and pass the copy as params_file:=... (launch), --params-file',
    '# (ros2 run ... --ros-args, or the taskmem command). See docs/configuration.md.',
    '/**:',
    '  ros__parameters:',
  ];
  let group: string | undefined;
  for (const spec of listParams()) {
    const parts = spec.name.split('.');
    const key = parts.at(-1)!;
    const specGroup = parts.length > 1 ? parts[0] : undefined;
    if (specGroup !== group) {
      group = specGroup;
      if (group !== undefined) lines.push('', `    ${group}:`);
    }
    const indent = group === undefined ? '    ' : '      ';
    lines.push(`${indent}# ${describe(spec)}`, `${indent}${key}: ${yamlValue(spec)}`);
  }
  return `${lines.join('\n')}\n`;
}

function describe({ meta }: ParamSpec): string {
  const notes = [allowed(meta)];
  if (meta.unit !== undefined) notes.push(meta.unit);
  if (meta.readOnly) notes.push('read-only: a change needs a restart');
  return `${meta.description} (${notes.join('; ')})`;
}

function yamlValue({ meta, default: value }: ParamSpec): string {
  if (meta.rosType === 'double' && Number.isInteger(value)) return (value as number).toFixed(1);
  if (meta.rosType === 'string_array') return `[${(value as string[]).map((v) => JSON.stringify(v)).join(', ')}]`;
  return stringify(value).trimEnd();
}
