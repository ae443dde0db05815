import { allowed, ConfigError, listParams, type Config, type ParamSpec } from './schema.js';
import { paramLayer, resolveConfig, type ParamLayer } from './ParamLayer.js';
import { loadParamsFile } from './loadParamsFile.js';

const SOURCE = 'command line';

export interface CliFlags {
  /** Parameter values given as flags, validated. */
  params: ParamLayer;
  /** The `--params-file` argument, if given. */
  paramsFile: string | undefined;
  /** True when `--help` was given. */
  help: boolean;
  /** Arguments that are not parameter flags (commands, positional arguments, a command's own flags), in order. */
  rest: string[];
}

/**
 * Splits command-line arguments into parameter flags and the rest. A parameter flag is `--<name> <value>` or
 * `--<name>=<value>` for a schema parameter; a boolean flag alone means true; a string-array flag may be
 * repeated, each occurrence adding one element (`--focus.adapters=` alone gives an empty list). A dotted flag
 * that names no parameter is an error, so a misspelt parameter is not passed on silently. Arguments from
 * `--ros-args` up to `--` belong to ROS (rclnodejs reads them from process.argv) and are dropped.
 */
export function parseCliFlags(argv: readonly string[]): CliFlags {
  const specs = new Map(listParams().map((spec) => [spec.name, spec]));
  const values: Record<string, unknown> = {};
  const rest: string[] = [];
  let paramsFile: string | undefined;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--ros-args') {
      while (i + 1 < argv.length && argv[i + 1] !== '--') i++;
      i++;
      continue;
    }
    if (arg === '--help') {
      help = true;
      continue;
    }
    const match = /^--([A-Za-z_][\w.-]*)(?:=(.*))?$/s.exec(arg);
    if (!match) {
      rest.push(arg);
      continue;
    }
    const name = match[1]!;
    const inline = match[2];
    const spec = specs.get(name);
    if (name === 'params-file') {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new ConfigError(`taskmem: --params-file needs a file name (from ${SOURCE})`);
      paramsFile = value;
      continue;
    }
    if (!spec) {
      if (name.includes('.')) throw new ConfigError(`taskmem: unknown parameter ${name} (from ${SOURCE}); see --help`);
      rest.push(arg);
      continue;
    }
    let text = inline;
    if (text === undefined) {
      const next = argv[i + 1];
      const bareBool = spec.meta.rosType === 'bool' && (next === undefined || next.startsWith('--'));
      if (bareBool) text = 'true';
      else if (next === undefined) throw new ConfigError(`taskmem: --${name} needs a value: ${allowed(spec.meta)} (from ${SOURCE})`);
      else text = argv[++i]!;
    }
    if (spec.meta.rosType === 'string_array') {
      const list = (values[name] as string[] | undefined) ?? [];
      values[name] = text === '' && inline !== undefined ? list : [...list, text];
    } else {
      values[name] = flagValue(spec, text);
    }
  }
  return { params: paramLayer(SOURCE, values), paramsFile, help, rest };
}

/** Converts a flag's text to the parameter's type; the schema checks the range afterwards. */
function flagValue(spec: ParamSpec, text: string): unknown {
  const invalid = () =>
    new ConfigError(`taskmem: parameter ${spec.name} = ${JSON.stringify(text)} (from ${SOURCE}) is invalid: ${allowed(spec.meta)}`);
  switch (spec.meta.rosType) {
    case 'integer':
      if (!/^[-+]?\d+$/.test(text.trim())) throw invalid();
      return Number(text);
    case 'double': {
      const value = Number(text);
      if (text.trim() === '' || !Number.isFinite(value)) throw invalid();
      return value;
    }
    case 'bool':
      if (/^true$/i.test(text)) return true;
      if (/^false$/i.test(text)) return false;
      throw invalid();
    default:
      return text;
  }
}

/**
 * The configuration an offline command runs with: defaults < `--params-file` < parameter flags. Returns the
 * remaining arguments for the command itself, and the params file read (a file the command must not write over).
 */
export function configFromArgs(argv: readonly string[]): { config: Config; rest: string[]; help: boolean; paramsFile?: string } {
  const flags = parseCliFlags(argv);
  const layers = flags.paramsFile === undefined ? [flags.params] : [loadParamsFile(flags.paramsFile), flags.params];
  return {
    config: resolveConfig(layers),
    rest: flags.rest,
    help: flags.help,
    ...(flags.paramsFile === undefined ? {} : { paramsFile: flags.paramsFile }),
  };
}

/** The parameter part of `--help`, generated from the schema. */
export function cliHelp(): string {
  const lines = [
    'Parameters (defaults < --params-file < flags; the same names as the ROS parameters):',
    '  --params-file <file.yaml>',
    '      YAML params file: ROS form (`/**: ros__parameters: ...`) or plain nested YAML.',
  ];
  for (const { name, meta, default: value } of listParams()) {
    const unit = meta.unit === undefined ? '' : ` [${meta.unit}]`;
    lines.push(
      `  --${name} <${meta.rosType === 'string_array' ? 'string, repeatable' : meta.rosType}>  default ${JSON.stringify(value)}; ${allowed(meta)}${unit}`,
      `      ${meta.description}`,
    );
  }
  return lines.join('\n');
}
