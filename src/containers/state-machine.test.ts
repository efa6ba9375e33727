import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  IllegalTransition,
  canTransition,
  isRunning,
  observeIllegalTransitions,
  recordFields,
  transition,
} from './state-machine.ts';
import type { Container } from './store.ts';
import { initialState, type Status } from './types.ts';

const STATUSES: Status[] = ['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'];

// Every transition a real flow performs, and the flow. The table allows exactly these.
const FLOWS: [Status, Status, string][] = [
  ['created', 'running', 'start'],
  ['created', 'paused', 'start-up adopts a frozen task whose start was never recorded'],
  ['created', 'exited', 'start-up records the exit of a task whose start was never recorded'],
  ['created', 'removing', 'rm'],
  ['running', 'exited', 'the task exited'],
  ['running', 'paused', 'pause; start-up finds the task frozen'],
  ['running', 'running', 'start-up re-adopts the task (new pid)'],
  ['running', 'removing', 'rm -f of a container whose task could not be re-adopted'],
  ['paused', 'running', 'unpause; a thaw after a signal'],
  ['paused', 'exited', 'the frozen task exited'],
  ['paused', 'paused', 'start-up re-adopts the frozen task'],
  ['paused', 'removing', 'rm -f of a container whose task could not be re-adopted'],
  ['restarting', 'running', 'the policy restart launched'],
  ['restarting', 'exited', 'stop/rm cancels the pending restart; the restart failed'],
  ['restarting', 'removing', 'rm of a container waiting for its restart'],
  ['restarting', 'paused', 'start-up adopts a frozen task'],
  ['exited', 'running', 'start'],
  ['exited', 'restarting', 'the exit handler applies the restart policy'],
  ['exited', 'removing', 'rm'],
  ['exited', 'paused', 'start-up adopts a frozen task started after the recorded exit'],
  ['exited', 'exited', 'start-up records an exit the shim kept'],
  ['removing', 'removing', 'rm retried after the move to the trash failed'],
  ['dead', 'running', 'start-up: the shim has a live task for an unreadable record'],
  ['dead', 'paused', 'start-up: the shim has a frozen task for an unreadable record'],
  ['dead', 'exited', 'start-up: the task is gone'],
  ['dead', 'removing', 'rm'],
];

function container(status: Status): Container {
  const rt = initialState();
  const c = {
    record: { id: 'a'.repeat(64), name: 'c' } as Container['record'],
    runtime: { ...rt, state: { ...rt.state, Status: status } },
  };
  return c;
}

test('the table allows exactly the transitions real flows perform', () => {
  const allowed = new Set(FLOWS.map(([f, t]) => `${f}>${t}`));
  for (const from of STATUSES)
    for (const to of STATUSES) assert.equal(canTransition(from, to), allowed.has(`${from}>${to}`), `${from} → ${to}`);
});

test('nothing enters dead, and removing leads nowhere but itself', () => {
  for (const from of STATUSES) assert.equal(canTransition(from, 'dead'), false, from);
  for (const to of STATUSES) assert.equal(canTransition('removing', to), to === 'removing', to);
});

test('transition sets the status and its fields together', () => {
  const c = container('created');
  transition(c, 'running', { Pid: 42, StartedAt: '2026-01-01T00:00:00.000Z' });
  assert.equal(c.runtime.state.Status, 'running');
  assert.equal(c.runtime.state.Pid, 42);
  assert.equal(c.runtime.state.StartedAt, '2026-01-01T00:00:00.000Z');
  transition(c, 'exited', { Pid: 0, ExitCode: 3 });
  assert.deepEqual([c.runtime.state.Status, c.runtime.state.Pid, c.runtime.state.ExitCode], ['exited', 0, 3]);
});

test('an illegal transition throws, changes nothing and is reported', () => {
  const seen: IllegalTransition[] = [];
  const prev = observeIllegalTransitions((e) => seen.push(e));
  try {
    const c = container('removing');
    const before = c.runtime.state;
    assert.throws(
      () => transition(c, 'running', { Pid: 1 }),
      (err: unknown) =>
        err instanceof IllegalTransition &&
        err.kind === 'internal' &&
        /illegal container state transition: aaaaaaaaaaaa from removing to running/.test(err.message),
    );
    assert.equal(c.runtime.state, before);
    assert.equal(seen.length, 1);
    assert.deepEqual([seen[0].from, seen[0].to], ['removing', 'running']);
  } finally {
    observeIllegalTransitions(prev);
  }
});

test('recordFields never changes the status', () => {
  const c = container('created');
  recordFields(c, { ExitCode: 127, Error: 'exec: "nope": not found' });
  assert.deepEqual([c.runtime.state.Status, c.runtime.state.ExitCode], ['created', 127]);
});

test("isRunning is Docker's: running, paused or restarting", () => {
  assert.deepEqual(
    STATUSES.filter((s) => isRunning(container(s))),
    ['running', 'paused', 'restarting'],
  );
});
