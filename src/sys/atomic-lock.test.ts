import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isKind } from '../common/errors.ts';
import { removeTempFiles, writeFileAtomic } from './atomic.ts';
import { lockFile } from './lock.ts';

function tmp() {
  const path = mkdtempSync('/tmp/berth-sys-');
  return { path, [Symbol.dispose]: () => rmSync(path, { recursive: true, force: true }) };
}

test('writeFileAtomic replaces content with the requested mode and leaves no temp', async () => {
  using t = tmp();
  const p = join(t.path, 'rec.json');
  await writeFileAtomic(p, 'one');
  await writeFileAtomic(p, Buffer.from('two'), 0o600);
  assert.equal(readFileSync(p, 'utf8'), 'two');
  assert.equal(statSync(p).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(t.path), ['rec.json']);
  await assert.rejects(writeFileAtomic(join(t.path, 'missing-dir', 'x'), 'x'), /ENOENT/);
  // Renaming onto a directory fails: the temp file must be cleaned up.
  await assert.rejects(writeFileAtomic(t.path, 'x'));
  assert.deepEqual(readdirSync(t.path), ['rec.json']);
});

test('removeTempFiles sweeps only temp files', async () => {
  using t = tmp();
  writeFileSync(join(t.path, '.tmp-rec.json-abc'), 'half');
  writeFileSync(join(t.path, 'keep'), 'k');
  assert.deepEqual(await removeTempFiles(t.path), ['.tmp-rec.json-abc']);
  assert.deepEqual(readdirSync(t.path), ['keep']);
  assert.deepEqual(await removeTempFiles(join(t.path, 'nope')), []);
});

test('lockFile refuses a second holder until released', () => {
  using t = tmp();
  const p = join(t.path, 'berthd.lock');
  const a = lockFile(p);
  assert.throws(
    () => lockFile(p),
    (e: unknown) => isKind(e, 'conflict') && /another process \(pid \d+\)/.test((e as Error).message),
  );
  a.release();
  a.release();
  const b = lockFile(p);
  b.release();
});
