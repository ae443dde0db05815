/**
 * The memory store cannot be opened, read or written: the file or server is missing, full, locked, of a newer
 * schema, or went away under a running process. The message names the store and the operation; `cause` holds
 * the driver's error.
 */
export class StoreError extends Error {
  override name = 'StoreError';
}

/**
 * `store` with every failure of its methods raised as a StoreError naming `where`, the method and, when `fix` knows
 * it, what the user can do about it (see storeFix), so that a
 * caller (a command's exit code, a log line) can tell a store failure from any other without knowing the
 * backend's error classes. The store itself is unchanged and keeps its own `this`; results pass through as
 * they are.
 */
export function namingStoreFailures<T extends object>(store: T, where: string, fix: (error: unknown) => string | null = () => null): T {
  const fail = (method: string, error: unknown): never => {
    const what = fix(error);
    throw new StoreError(
      `store ${where}: ${method} failed: ${error instanceof Error ? error.message : String(error)}${what === null ? '' : `; ${what}`}`,
      { cause: error },
    );
  };
  return new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const method = String(property);
      return (...args: unknown[]): unknown => {
        let result: unknown;
        try {
          result = (value as (...a: unknown[]) => unknown).apply(target, args);
        } catch (error) {
          return fail(method, error);
        }
        return result instanceof Promise ? result.catch((error: unknown) => fail(method, error)) : result;
      };
    },
  });
}
