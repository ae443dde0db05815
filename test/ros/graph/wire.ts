/**
 * JSON lines between the real-graph tests and their driver process: ROS messages hold bigint (int64 fields) and
 * typed arrays (uint8[] and other primitive arrays), which JSON cannot carry as such. They travel as
 * `{"$bigint": "…"}` and `{"$typed": "Uint8Array", "base64": "…"}` and come back as what they were.
 */
const TYPED = {
  Uint8Array,
  Int8Array,
  Uint16Array,
  Int16Array,
  Uint32Array,
  Int32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
} as const;
type TypedName = keyof typeof TYPED;

export function encode(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return { $bigint: v.toString() };
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
      return { $typed: v.constructor.name, base64: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
    }
    return v;
  });
}

export function decode(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v !== null && typeof v === 'object') {
      const o = v as { $bigint?: string; $typed?: TypedName; base64?: string };
      if (typeof o.$bigint === 'string') return BigInt(o.$bigint);
      if (typeof o.$typed === 'string' && typeof o.base64 === 'string') {
        const bytes = Buffer.from(o.base64, 'base64');
        const Typed = TYPED[o.$typed];
        // Copied into a buffer of its own, aligned for the element size.
        const copy = new Uint8Array(bytes.byteLength);
        copy.set(bytes);
        return new Typed(copy.buffer, 0, bytes.byteLength / Typed.BYTES_PER_ELEMENT);
      }
    }
    return v;
  });
}

/** A request from the tests to the driver. */
export interface DriverRequest {
  id: number;
  op: string;
  args: Record<string, unknown>;
}

/** The driver's answer to one request, or an event (a message on a subscription, feedback, a goal's result). */
export type DriverLine =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: string }
  | { event: 'message'; sub: number; message: unknown }
  | { event: 'feedback'; goal: number; feedback: unknown }
  | { event: 'result'; goal: number; status: number; result: unknown };
