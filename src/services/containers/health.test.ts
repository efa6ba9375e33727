import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goDuration, probeCommand } from './health.ts';

test('Go duration strings for the timeout message', () => {
  assert.equal(goDuration(30e9), '30s');
  assert.equal(goDuration(1.5e9), '1.5s');
  assert.equal(goDuration(300e6), '300ms');
  assert.equal(goDuration(90e9), '1m30s');
  assert.equal(goDuration(3600e9), '1h0m0s');
});

test('probe commands: CMD, CMD-SHELL with the container’s shell, NONE and unknown types run nothing', () => {
  assert.deepEqual(probeCommand({ Test: ['CMD', 'true'] }, null), ['true']);
  assert.deepEqual(probeCommand({ Test: ['CMD-SHELL', 'a && b'] }, null), ['/bin/sh', '-c', 'a && b']);
  assert.deepEqual(probeCommand({ Test: ['CMD-SHELL', 'x'] }, ['/bin/bash', '-ec']), ['/bin/bash', '-ec', 'x']);
  assert.equal(probeCommand({ Test: ['NONE'] }, null), undefined);
  assert.equal(probeCommand({ Test: ['WAT', 'x'] }, null), undefined);
  assert.equal(probeCommand(undefined, null), undefined);
});
