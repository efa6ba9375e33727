import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInFlight } from './inflight-create.ts';

const ID = 'a'.repeat(64);

function fakeProc(cmdlines: Record<string, string[]>): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-proc-'));
  for (const [pid, argv] of Object.entries(cmdlines)) {
    mkdirSync(join(dir, pid));
    writeFileSync(join(dir, pid, 'cmdline'), `${argv.join('\0')}\0`);
  }
  mkdirSync(join(dir, 'self')); // not a pid: skipped
  return dir;
}

test('a runtime create whose last argument is the task ID is in flight; other runc calls are not', () => {
  const runcCreate = ['runc', '--root', '/r', 'create', '--bundle', `/t/${ID}`, '--pid-file', '/t/p', ID];
  const dir = fakeProc({
    '10': ['containerd-shim-runc-v2', '-namespace', 'berth', '-id', ID, '-address', '/e.sock'],
    '11': ['runc', '--root', '/r', 'exec', '--process', '/p.json', ID],
    '12': ['runc', 'init'],
  });
  try {
    assert.equal(createInFlight(ID, dir), false);
    mkdirSync(join(dir, '13'));
    writeFileSync(join(dir, '13', 'cmdline'), `${runcCreate.join('\0')}\0`);
    assert.equal(createInFlight(ID, dir), true);
    assert.equal(createInFlight('b'.repeat(64), dir), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
