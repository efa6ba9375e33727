// What the conformance suites share: one fresh harness per test, closed after it (its
// close() failing the test when something was left behind), and checks of typed errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BerthError, type ErrorKind } from '../../common/errors.ts';

export interface ConformanceOptions {
  /** A reason to skip the suite (e.g. "needs root"): said aloud, never silent. */
  skip?: string;
}

/** A test body run against a fresh harness from `make`, closed whether it passed or not. */
export function harnessTest<H extends { close(): Promise<void> }>(
  make: () => Promise<H>,
): (title: string, fn: (h: H) => Promise<void>) => void {
  return (title, fn) =>
    test(title, async () => {
      const h = await make();
      try {
        await fn(h);
      } catch (err) {
        await h.close().catch(() => {});
        throw err;
      }
      await h.close();
    });
}

function checkKind(e: unknown, kind: ErrorKind, what: string): true {
  assert.ok(e instanceof BerthError, `${what}: a BerthError, not ${String(e)}`);
  assert.equal(e.kind, kind, `${what}: ${e.message}`);
  return true;
}

export async function rejectsWithKind(p: Promise<unknown>, kind: ErrorKind, what: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => checkKind(e, kind, what));
}

export function throwsKind(fn: () => unknown, kind: ErrorKind, what: string): void {
  assert.throws(fn, (e: unknown) => checkKind(e, kind, what));
}
