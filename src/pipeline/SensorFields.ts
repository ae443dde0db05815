import type { parse } from '@foxglove/rosmsg';
import { PRIMITIVE_TYPES } from '../bag/MessageDefinitions.js';
import type { SensorKind } from './SensorMessage.js';

type MessageDefinition = ReturnType<typeof parse>[number];
type MessageDefinitionField = MessageDefinition['definitions'][number];

/** What a field holds, as far as taskmem reads it. */
type FieldForm = 'time' | 'number' | 'string' | 'bytes' | 'numbers';

const FORM_NAMES: Record<FieldForm, string> = {
  time: 'a time (builtin_interfaces/Time)',
  number: 'a number',
  string: 'a string',
  bytes: 'a byte array (uint8[])',
  numbers: 'a number array',
};

const STAMP = ['header.stamp', 'time'] as const;
const POSE = (prefix: string) =>
  (['position.x', 'position.y', 'position.z', 'orientation.x', 'orientation.y', 'orientation.z', 'orientation.w'] as const).map(
    (f) => [`${prefix}.${f}`, 'number'] as const,
  );

/**
 * The fields taskmem reads from each kind of sensor message, by path, with what each must hold. A recording's
 * schema (`schemaProblem`) and a message as it arrives (`messageProblem`) are checked against this one list, so
 * that a message that is not what its type name says is refused with the field it lacks, never read into a crash.
 */
const SENSOR_FIELDS: Record<SensorKind, readonly (readonly [string, FieldForm])[]> = {
  image: [
    STAMP,
    ['height', 'number'],
    ['width', 'number'],
    ['encoding', 'string'],
    ['is_bigendian', 'number'],
    ['step', 'number'],
    ['data', 'bytes'],
  ],
  compressed_image: [STAMP, ['format', 'string'], ['data', 'bytes']],
  audio_info: [
    ['channels', 'number'],
    ['sample_rate', 'number'],
    ['sample_format', 'string'],
    ['coding_format', 'string'],
  ],
  audio_data_stamped: [STAMP, ['audio.data', 'bytes']],
  audio_stamped: [
    STAMP,
    ['audio.info.format', 'number'],
    ['audio.info.channels', 'number'],
    ['audio.info.rate', 'number'],
    ['audio.audio_data.float32_data', 'numbers'],
    ['audio.audio_data.int32_data', 'numbers'],
    ['audio.audio_data.int16_data', 'numbers'],
    ['audio.audio_data.int8_data', 'numbers'],
    ['audio.audio_data.uint8_data', 'bytes'],
  ],
  pose_stamped: [STAMP, ['header.frame_id', 'string'], ...POSE('pose')],
  odometry: [STAMP, ['header.frame_id', 'string'], ...POSE('pose.pose')],
  pose_with_covariance_stamped: [STAMP, ['header.frame_id', 'string'], ...POSE('pose.pose')],
};

const NUMBER_TYPES = new Set([...PRIMITIVE_TYPES].filter((t) => t !== 'string' && t !== 'wstring'));
const BYTE_TYPES = new Set(['uint8', 'int8', 'byte', 'char']);

/**
 * What is wrong with a recorded `ros2msg` schema (parsed, root first) for messages of `kind`: the first field taskmem
 * reads that it lacks or declares as something else, in words; null when it has them all.
 */
export function schemaProblem(kind: SensorKind, definitions: readonly MessageDefinition[]): string | null {
  const byName = new Map(definitions.slice(1).map((d) => [normalize(d.name ?? ''), d]));
  for (const [path, form] of SENSOR_FIELDS[kind]) {
    let definition: MessageDefinition | undefined = definitions[0];
    let field: MessageDefinitionField | undefined;
    const parts = path.split('.');
    for (const [i, part] of parts.entries()) {
      field = definition?.definitions.find((f) => f.name === part);
      if (!field) return `has no field ${parts.slice(0, i + 1).join('.')} (taskmem reads ${path}, ${FORM_NAMES[form]})`;
      if (i < parts.length - 1) {
        definition = field.isComplex === true && field.isArray !== true ? byName.get(normalize(field.type)) : undefined;
        if (!definition) return `declares ${parts.slice(0, i + 1).join('.')} as ${describe(field)}, not a message holding ${path}`;
      }
    }
    if (!schemaFits(field!, form)) return `declares ${path} as ${describe(field!)}, where taskmem reads ${FORM_NAMES[form]}`;
  }
  return null;
}

/** What is wrong with a decoded message of `kind`: the first field taskmem reads that is missing or of another form; null when none. */
export function messageProblem(kind: SensorKind, message: unknown): string | null {
  for (const [path, form] of SENSOR_FIELDS[kind]) {
    let value: unknown = message;
    for (const part of path.split('.')) {
      value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined;
      if (value === undefined || value === null) return `has no field ${path} (${FORM_NAMES[form]})`;
    }
    if (!valueFits(value, form)) return `has ${path} that is not ${FORM_NAMES[form]}`;
  }
  return null;
}

function schemaFits(field: MessageDefinitionField, form: FieldForm): boolean {
  const array = field.isArray === true;
  switch (form) {
    case 'time':
      return !array && (field.type === 'time' || normalize(field.type) === 'builtin_interfaces/Time');
    case 'number':
      return !array && NUMBER_TYPES.has(field.type);
    case 'string':
      return !array && field.type === 'string';
    case 'bytes':
      return array && BYTE_TYPES.has(field.type);
    case 'numbers':
      return array && NUMBER_TYPES.has(field.type);
  }
}

function valueFits(value: unknown, form: FieldForm): boolean {
  switch (form) {
    case 'time': {
      const { sec, nanosec } = value as { sec?: unknown; nanosec?: unknown };
      return isNumber(sec) && isNumber(nanosec);
    }
    case 'number':
      return isNumber(value);
    case 'string':
      return typeof value === 'string';
    case 'bytes':
      return value instanceof Uint8Array || value instanceof Int8Array || Array.isArray(value);
    case 'numbers':
      return Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView));
  }
}

function isNumber(value: unknown): boolean {
  return typeof value === 'number' || typeof value === 'bigint';
}

function describe(field: MessageDefinitionField): string {
  return `${field.type}${field.isArray === true ? '[]' : ''}`;
}

/** `sensor_msgs/msg/Image` and `sensor_msgs/Image` name the same type. */
function normalize(type: string): string {
  return type.replace('/msg/', '/');
}
