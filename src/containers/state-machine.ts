// Every container status change goes through this table: transition() is the only writer
// of a container's state (ContainerRuntimeState.state is readonly everywhere else), so an
// impossible change (start while removing, pause while exited…) is a bug caught where it
// happens, not a record that quietly lies.
//
// An illegal transition throws (kind internal: it is Berth's bug, not the caller's) and is
// reported to the observer the daemon installs, which logs it at error level; the test
// harness fails any test whose daemon logged one, even when the throw was swallowed.
import { BerthError } from '../common/errors.ts';
import type { Container } from './store.ts';
import type { ContainerState, Status } from './types.ts';

// Each entry is a flow that needs it. Nothing enters `dead`: it is how a container whose
// state record was unreadable loads (store.ts).
const ALLOWED: Record<Status, readonly Status[]> = {
  // start; an rm; start-up adopting a live task (or recording its exit) whose start was
  // never recorded (start answers before its state is written).
  created: ['running', 'paused', 'exited', 'removing'],
  // exit recorded; pause; start-up re-adopting it (same status, new pid) or finding it
  // frozen; rm -f of one whose task could not be re-adopted at start-up (no task to kill).
  running: ['exited', 'paused', 'running', 'removing'],
  // unpause or a thaw after a signal; exit recorded; start-up re-adopting it; rm -f as above.
  paused: ['running', 'exited', 'paused', 'removing'],
  // the policy's restart launched; stop/rm cancelling the pending restart (or the restart
  // failing); start-up adopting a task that runs after all.
  restarting: ['running', 'exited', 'removing', 'paused'],
  // start; the exit handler applying a restart policy; rm; start-up adopting a task started
  // after the recorded exit, or recording an exit the shim kept (same status, new code).
  exited: ['running', 'restarting', 'removing', 'paused', 'exited'],
  // an rm retried after moving the directory to the trash failed.
  removing: ['removing'],
  // start-up: the shim says what is true (a live task, or its exit); rm.
  dead: ['running', 'paused', 'exited', 'removing'],
};

export function canTransition(from: Status, to: Status): boolean {
  return ALLOWED[from].includes(to);
}

/** The fields that change with a status (or, through recordFields, without one). */
export type StateFields = Partial<Omit<ContainerState, 'Status'>>;

export class IllegalTransition extends BerthError {
  readonly from: Status;
  readonly to: Status;
  constructor(id: string, from: Status, to: Status) {
    super('internal', `illegal container state transition: ${id.slice(0, 12)} from ${from} to ${to}`);
    this.from = from;
    this.to = to;
  }
}

let observer: ((err: IllegalTransition) => void) | undefined;

/** Installs what hears of illegal transitions (the daemon logs them); returns the previous one. */
export function observeIllegalTransitions(
  fn: ((err: IllegalTransition) => void) | undefined,
): ((err: IllegalTransition) => void) | undefined {
  const prev = observer;
  observer = fn;
  return prev;
}

type Writable = { state: ContainerState };

/** Throws IllegalTransition (and reports it) unless the table lets `c` go to `to` now. */
export function assertTransition(c: Container, to: Status): void {
  const from = c.runtime.state.Status;
  if (canTransition(from, to)) return;
  const err = new IllegalTransition(c.record.id, from, to);
  observer?.(err);
  throw err;
}

/** Moves `c` to `to` with the fields that go with it; throws IllegalTransition when the table forbids it. */
export function transition(c: Container, to: Status, fields: StateFields = {}): void {
  assertTransition(c, to);
  (c.runtime as Writable).state = { ...c.runtime.state, ...fields, Status: to };
}

/** Records fields without a status change (a failed start's exit code and error). */
export function recordFields(c: Container, fields: StateFields): void {
  (c.runtime as Writable).state = { ...c.runtime.state, ...fields, Status: c.runtime.state.Status };
}

/** Docker's IsRunning: a task runs, is frozen, or is about to be restarted by its policy. */
export const isRunning = (c: Container): boolean =>
  c.runtime.state.Status === 'running' ||
  c.runtime.state.Status === 'paused' ||
  c.runtime.state.Status === 'restarting';
