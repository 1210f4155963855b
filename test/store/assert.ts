/**
 * A tiny assertion helper used by the store contract so the same checks run under Vitest (Node)
 * and inside a Chromium page (no test framework there). Failures throw `ContractAssertionError`.
 */
import { StoreError, type StoreErrorCode } from '../../src/core/tracking/errors.ts';

export class ContractAssertionError extends Error {
  override readonly name = 'ContractAssertionError';
}

function show(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) =>
      x instanceof Uint8Array ? `Uint8Array[${Array.from(x).join(',')}]` : x,
    );
  } catch {
    return String(v);
  }
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array && b instanceof Uint8Array) || a.length !== b.length) return false;
    return a.every((x, i) => x === b[i]);
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export interface Assert {
  ok(cond: unknown, msg: string): asserts cond;
  eq(actual: unknown, expected: unknown, msg: string): void;
  rejects(
    p: Promise<unknown>,
    code: StoreErrorCode,
    msg: string,
    messageIncludes?: string,
  ): Promise<StoreError>;
}

export const assert: Assert = {
  ok(cond: unknown, msg: string): asserts cond {
    if (!cond) throw new ContractAssertionError(msg);
  },
  eq(actual: unknown, expected: unknown, msg: string): void {
    if (!deepEqual(actual, expected)) {
      throw new ContractAssertionError(`${msg}\n  expected: ${show(expected)}\n  actual:   ${show(actual)}`);
    }
  },
  /** Awaits `p`, expects a StoreError with `code`; returns it for more checks. */
  async rejects(
    p: Promise<unknown>,
    code: StoreErrorCode,
    msg: string,
    messageIncludes?: string,
  ): Promise<StoreError> {
    let err: unknown;
    try {
      await p;
    } catch (e) {
      err = e;
    }
    if (err === undefined)
      throw new ContractAssertionError(`${msg}: expected StoreError ${code}, but it resolved`);
    if (!(err instanceof StoreError)) {
      throw new ContractAssertionError(`${msg}: expected StoreError ${code}, got ${String(err)}`);
    }
    if (err.code !== code)
      throw new ContractAssertionError(`${msg}: expected code ${code}, got ${err.code}: ${err.message}`);
    if (messageIncludes !== undefined && !err.message.includes(messageIncludes)) {
      throw new ContractAssertionError(
        `${msg}: message ${show(err.message)} should include ${show(messageIncludes)}`,
      );
    }
    return err;
  },
};
