import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePsOutput, validatePsArgs } from './top.ts';

test('ps output: titles, rows of the container only, the last column keeps its spaces', () => {
  const out = [
    'UID        PID  PPID  C STIME TTY          TIME CMD',
    'root         1     0  0 10:00 ?        00:00:01 /sbin/init splash',
    'root       420   400  0 10:01 pts/0    00:00:00 sleep 300',
    'nobody     421   420  0 10:01 pts/0    00:00:00 sh -c echo a  b',
    '',
  ].join('\n');
  const r = parsePsOutput(out, [420, 421]);
  assert.deepEqual(r.Titles, ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
  assert.deepEqual(
    r.Processes.map((p) => p.at(-1)),
    ['sleep 300', 'sh -c echo a b'],
  );
  assert.throws(() => parsePsOutput('USER COMMAND\nroot x\n', [1]), /Couldn't find PID field/);
});

test('ps args that relabel a column as PID are refused', () => {
  validatePsArgs('aux');
  validatePsArgs('-o pid,comm');
  validatePsArgs('-o pid=PID');
  assert.throws(() => validatePsArgs('-o user=PID'), /not allowed/);
});
