import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBus } from './bus.ts';
import { openJournal } from './journal.ts';

test('journal: events survive a reopen, a torn line is skipped, the file is compacted to the cap', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-journal-'));
  const path = join(dir, 'events.jsonl');
  try {
    let { journal, history } = await openJournal(path, 4);
    assert.deepEqual(history, []);
    let bus = new EventBus({ cap: 4, journal, history });
    journal.compactFrom(() => bus.snapshot());
    for (let i = 0; i < 3; i++) bus.publish('container', `e${i}`, 'x');
    await journal.close();
    await appendFile(path, '{"Type":"container","Act');
    ({ journal, history } = await openJournal(path, 4));
    assert.deepEqual(
      history.map((e) => e.Action),
      ['e0', 'e1', 'e2'],
    );
    bus = new EventBus({ cap: 4, journal, history });
    journal.compactFrom(() => bus.snapshot());
    for (let i = 3; i < 12; i++) {
      bus.publish('container', `e${i}`, 'x');
      await new Promise((r) => setImmediate(r));
    }
    await journal.close();
    const lines = (await readFile(path, 'utf8')).trim().split('\n');
    assert.ok(lines.length <= 8 + 1, `compacted: ${lines.length} lines`);
    ({ history } = await openJournal(path, 4));
    assert.deepEqual(
      history.map((e) => e.Action),
      ['e8', 'e9', 'e10', 'e11'],
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
