import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isKind } from '../common/errors.ts';
import { ExecError, resolveBinary, run } from './exec.ts';

const SH = '/bin/sh';

test('run collects output, passes input, uses no shell', async () => {
  const r = await run('/bin/cat', [], { input: 'hello' });
  assert.equal(r.code, 0);
  assert.equal(r.stdout.toString(), 'hello');
  const echo = await run('/bin/echo', ['$HOME', ';', 'x']);
  assert.equal(echo.stdout.toString(), '$HOME ; x\n');
  const env = await run('/usr/bin/env', [], { env: { ONLY: '1' } });
  assert.equal(env.stdout.toString(), 'ONLY=1\n');
});

test('a non-zero exit is an ExecError with argv, code and stderr', async () => {
  await assert.rejects(run(SH, ['-c', 'echo oops >&2; exit 3']), (e: unknown) => {
    assert.ok(e instanceof ExecError);
    assert.ok(isKind(e, 'internal'));
    assert.equal(e.code, 3);
    assert.deepEqual(e.argv, [SH, '-c', 'echo oops >&2; exit 3']);
    assert.match(e.message, /exit status 3: oops/);
    return true;
  });
  const r = await run(SH, ['-c', 'exit 4'], { allowFail: true });
  assert.equal(r.code, 4);
  await assert.rejects(run('/nonexistent/bin', []), /cannot start/);
  await assert.rejects(run('sh', []), /absolute/);
});

test('timeout and abort kill the whole process group', async () => {
  const start = Date.now();
  // The grandchild holds stdout open: only a group kill lets run() finish promptly.
  await assert.rejects(run(SH, ['-c', 'sleep 30 & sleep 30'], { timeoutMs: 200 }), /timed out after 200 ms/);
  assert.ok(Date.now() - start < 5000);
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 100);
  await assert.rejects(run(SH, ['-c', 'sleep 30 & sleep 30'], { signal: ac.signal }), /aborted/);
});

test('resolveBinary finds an absolute path once', () => {
  const sh = resolveBinary('sh');
  assert.match(sh, /^\/.*\/sh$/);
  assert.equal(resolveBinary('sh'), sh);
  assert.equal(resolveBinary('definitely-not-here', ['/bin/true']), '/bin/true');
  assert.throws(
    () => resolveBinary('definitely-not-here-2'),
    (e: unknown) => isKind(e, 'not-found'),
  );
});
