import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../common/logger.ts';
import { EventBus } from '../events/bus.ts';
import { loadConfig } from './config.ts';
import { reloadConfig } from './reload.ts';

test('SIGHUP reload: debug and log-level change the running logger; other keys wait for a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-reload-'));
  const file = join(dir, 'daemon.json');
  writeFileSync(file, JSON.stringify({ labels: ['a=1'] }));
  const loaded = await loadConfig(['--config-file', file], {});
  const lines: string[] = [];
  const log = createLogger(loaded.config.logLevel, {}, (l) => lines.push(l));
  const events = new EventBus();
  const applied: unknown[] = [];
  const targets = {
    live: loaded.config,
    log,
    events,
    engineId: 'E',
    authz: {
      current: () => undefined,
      apply: async (c: unknown) => {
        applied.push(c);
        return false;
      },
    },
  };
  writeFileSync(file, JSON.stringify({ labels: ['a=2'], debug: true, 'data-root': '/elsewhere' }));
  const changed = await reloadConfig(loaded, targets);
  assert.deepEqual(changed.sort(), ['labels', 'log-level']);
  assert.equal(log.level, 'debug');
  assert.deepEqual(loaded.config.labels, ['a=2']);
  assert.equal(loaded.config.dataRoot, '/var/lib/berth', 'data-root waits for a restart');
  assert.ok(
    lines.some((l) => l.includes('data-root changed in the configuration; it takes effect when berthd restarts')),
  );
  const ev = events.since(0).find((e) => e.Action === 'reload');
  assert.equal(ev?.Type, 'daemon');
  assert.equal(ev?.Actor.Attributes.labels, '["a=2"]');

  writeFileSync(file, JSON.stringify({ labels: ['a=2'], 'log-level': 'warn' }));
  await reloadConfig(loaded, targets);
  assert.equal(log.level, 'warn');

  writeFileSync(file, '{"labels": 3}');
  assert.deepEqual(await reloadConfig(loaded, targets), []);
  assert.deepEqual(loaded.config.labels, ['a=2'], 'a file that does not load changes nothing');
  assert.equal(applied.length, 0, 'authorization is not touched when it did not change');
});
