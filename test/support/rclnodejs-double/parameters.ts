/**
 * rclnodejs 2.2.0's Parameter, ParameterDescriptor and ranges, reproduced in behaviour (lib/parameter.js):
 * integers are bigint, a value of the wrong type is refused at construction, a FloatingPointRange's step
 * defaults to 1 (so a continuous range needs step 0), and an IntegerRange takes bigint bounds.
 */
import type * as rcl from 'rclnodejs';

export const ParameterTypeValue = {
  NOT_SET: 0,
  BOOL: 1,
  INTEGER: 2,
  DOUBLE: 3,
  STRING: 4,
  STRING_ARRAY: 9,
} as const;

export class Parameter {
  static fromParameterMessage(message: rcl.rcl_interfaces.msg.Parameter): Parameter {
    const v = message.value;
    const value =
      v.type === ParameterTypeValue.BOOL
        ? v.bool_value
        : v.type === ParameterTypeValue.INTEGER
          ? v.integer_value
          : v.type === ParameterTypeValue.DOUBLE
            ? v.double_value
            : v.type === ParameterTypeValue.STRING
              ? v.string_value
              : v.type === ParameterTypeValue.STRING_ARRAY
                ? v.string_array_value
                : undefined;
    return new Parameter(message.name, v.type, value);
  }

  readonly #name: string;
  readonly #type: rcl.ParameterType;
  #value: unknown;

  constructor(name: string, type: rcl.ParameterType, value?: unknown) {
    this.#name = name;
    this.#type = type;
    this.#value = type === ParameterTypeValue.INTEGER ? BigInt(value as bigint) : value;
    this.validate();
  }

  get name(): string {
    return this.#name;
  }

  get type(): rcl.ParameterType {
    return this.#type;
  }

  // rclnodejs types the value as any; so does this.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  get value(): any {
    return this.#value;
  }

  set value(value: unknown) {
    this.#value = Array.isArray(value) && value.length === 0 ? null : value;
    this.validate();
  }

  validate(): void {
    if (!this.#name || this.#name.trim().length === 0) throw new TypeError('Parameter: name must be a non-empty string');
    if (!validValue(this.#value, this.#type)) {
      throw new TypeError(`Parameter ${this.#name}: value ${String(this.#value)} (${typeof this.#value}) does not fit type ${this.#type}`);
    }
  }

  toParameterMessage(): rcl.rcl_interfaces.msg.Parameter {
    return { name: this.#name, value: this.toParameterValueMessage() };
  }

  toParameterValueMessage(): rcl.rcl_interfaces.msg.ParameterValue {
    const t = this.#type;
    const v = this.#value;
    return {
      type: t,
      bool_value: t === ParameterTypeValue.BOOL ? (v as boolean) : false,
      integer_value: t === ParameterTypeValue.INTEGER ? (v as bigint) : 0n,
      double_value: t === ParameterTypeValue.DOUBLE ? (v as number) : 0,
      string_value: t === ParameterTypeValue.STRING ? (v as string) : '',
      byte_array_value: [],
      bool_array_value: [],
      integer_array_value: [],
      double_array_value: [],
      string_array_value: t === ParameterTypeValue.STRING_ARRAY ? (v as string[]) : [],
    };
  }
}

function validValue(value: unknown, type: rcl.ParameterType): boolean {
  if (value === null || value === undefined) return type === ParameterTypeValue.NOT_SET;
  switch (type) {
    case ParameterTypeValue.BOOL:
      return typeof value === 'boolean';
    case ParameterTypeValue.INTEGER:
      return typeof value === 'bigint';
    case ParameterTypeValue.DOUBLE:
      return typeof value === 'number';
    case ParameterTypeValue.STRING:
      return typeof value === 'string';
    case ParameterTypeValue.STRING_ARRAY:
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
    default:
      return false;
  }
}

export abstract class Range {
  readonly #from: number;
  readonly #to: number;
  readonly #step: number;

  constructor(from: number, to: number, step = 1) {
    this.#from = from;
    this.#to = to;
    this.#step = step;
  }

  get fromValue(): number {
    return this.#from;
  }

  get toValue(): number {
    return this.#to;
  }

  get step(): number {
    return this.#step;
  }

  abstract inRange(value: number): boolean;
  abstract isValidType(parameterType: rcl.ParameterType): boolean;
}

export class FloatingPointRange extends Range {
  readonly #tolerance: number;

  constructor(from: number, to: number, step = 1, tolerance = 1e-6) {
    super(from, to, step);
    this.#tolerance = tolerance;
  }

  isValidType(parameterType: rcl.ParameterType): boolean {
    return parameterType === ParameterTypeValue.DOUBLE;
  }

  inRange(value: number): boolean {
    const min = Math.min(this.fromValue, this.toValue);
    const max = Math.max(this.fromValue, this.toValue);
    if (isClose(value, min, this.#tolerance) || isClose(value, max, this.#tolerance)) return true;
    if (value < min || value > max) return false;
    if (this.step !== 0) {
      const steps = Math.round((value - min) / this.step);
      if (!isClose(min + steps * this.step, value, this.#tolerance)) return false;
    }
    return true;
  }
}

export class IntegerRange extends Range {
  constructor(from: bigint, to: bigint, step = 1n) {
    super(from as unknown as number, to as unknown as number, step as unknown as number);
  }

  isValidType(parameterType: rcl.ParameterType): boolean {
    return parameterType === ParameterTypeValue.INTEGER;
  }

  inRange(value: number): boolean {
    const v = value as unknown as bigint;
    const min = this.fromValue as unknown as bigint;
    const max = this.toValue as unknown as bigint;
    const step = this.step as unknown as bigint;
    if (v < min || v > max) return false;
    return step === 0n || (v - min) % step === 0n;
  }
}

function isClose(a: number, b: number, rtol: number): boolean {
  return a === b || (Number.isFinite(a) && Number.isFinite(b) && Math.abs(a - b) <= rtol * Math.max(Math.abs(a), Math.abs(b)));
}

export class ParameterDescriptor {
  static fromParameter(parameter: rcl.Parameter): ParameterDescriptor {
    return new ParameterDescriptor(parameter.name, parameter.type, 'Created from parameter.');
  }

  readonly #name: string;
  readonly #type: rcl.ParameterType;
  readonly #description: string;
  readonly #readOnly: boolean;
  #range: Range | null;
  additionalConstraints = '';

  constructor(name: string, type: rcl.ParameterType, description = 'no description', readOnly = false, range?: Range) {
    this.#name = name;
    this.#type = type;
    this.#description = description;
    this.#readOnly = readOnly;
    this.#range = range ?? null;
    this.validate();
  }

  get name(): string {
    return this.#name;
  }

  get type(): rcl.ParameterType {
    return this.#type;
  }

  get description(): string {
    return this.#description;
  }

  get readOnly(): boolean {
    return this.#readOnly;
  }

  hasRange(): boolean {
    return this.#range !== null;
  }

  get rangeConstraint(): Range {
    return this.#range as Range;
  }

  set rangeConstraint(range: Range) {
    this.#range = range;
    this.validate();
  }

  validate(): void {
    if (!this.#name) throw new TypeError('ParameterDescriptor: name must be a non-empty string');
    if (this.#range && !this.#range.isValidType(this.#type)) {
      throw new TypeError(`ParameterDescriptor ${this.#name}: Incompatible Range for parameter type ${this.#type}`);
    }
  }

  /** Throws like rclnodejs: on a type mismatch or a value outside the range. */
  validateParameter(parameter: rcl.Parameter): void {
    parameter.validate();
    if (parameter.name !== this.#name) throw new Error(`ParameterDescriptor ${this.#name}: Name mismatch (${parameter.name})`);
    if (parameter.type !== this.#type) throw new TypeError(`Parameter ${this.#name}: expected type ${this.#type}, got ${parameter.type}`);
    if (this.#range && !this.#range.inRange(parameter.value as number)) {
      throw new RangeError(`Parameter ${this.#name}: value ${parameter.value} not in ${this.#range.fromValue} to ${this.#range.toValue}`);
    }
  }

  toMessage(): rcl.rcl_interfaces.msg.ParameterDescriptor {
    return {
      name: this.#name,
      type: this.#type,
      description: this.#description,
      additional_constraints: this.additionalConstraints,
      read_only: this.#readOnly,
      dynamic_typing: false,
      floating_point_range: [],
      integer_range: [],
    };
  }
}

// Compile-time proof that these classes offer what rclnodejs's declarations promise.
const fits: [typeof rcl.Parameter, typeof rcl.ParameterDescriptor, typeof rcl.IntegerRange, typeof rcl.FloatingPointRange] = [
  Parameter,
  ParameterDescriptor,
  IntegerRange,
  FloatingPointRange,
];
void fits;
