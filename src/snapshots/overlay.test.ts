import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { mountAll, unmount } from './overlay.ts';
import { tempDir } from './test-helpers.ts';

const skip = process.getuid?.() === 0 ? false : 'needs root (mount)';

test('mountAll: destination "/" is the target itself, a file included; others are below it', { skip }, () => {
  using t = tempDir();
  const src = join(t.path, 'hosts');
  const file = join(t.path, 'file-target');
  writeFileSync(src, '127.0.0.1 localhost\n');
  writeFileSync(file, '');
  mountAll([{ destination: '/', type: 'bind', source: src, options: ['bind', 'ro'] }], file);
  assert.equal(readFileSync(file, 'utf8'), '127.0.0.1 localhost\n');
  unmount(file);
  const root = join(t.path, 'root');
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'etc', 'hosts'), '');
  mountAll([{ destination: '/etc/hosts', type: 'bind', source: src, options: ['bind'] }], root);
  assert.equal(readFileSync(join(root, 'etc', 'hosts'), 'utf8'), '127.0.0.1 localhost\n');
});
