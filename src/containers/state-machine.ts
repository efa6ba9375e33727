// Every container status change goes through this table, so an impossible transition
// (start while removing, pause while exited…) is a clear conflict, not a silent mess.
import { conflict } from '../common/errors.ts';
import type { Status } from './types.ts';

const ALLOWED: Record<Status, readonly Status[]> = {
  created: ['running', 'removing', 'exited', 'dead'],
  running: ['exited', 'paused', 'restarting', 'removing', 'dead', 'running'],
  paused: ['running', 'exited', 'removing', 'dead'],
  restarting: ['running', 'exited', 'removing', 'dead', 'restarting'],
  exited: ['running', 'restarting', 'removing', 'dead', 'exited'],
  removing: ['dead', 'exited', 'created'],
  dead: ['removing', 'dead'],
};

export function canTransition(from: Status, to: Status): boolean {
  return ALLOWED[from].includes(to);
}

export function assertTransition(id: string, from: Status, to: Status): void {
  if (!canTransition(from, to)) {
    throw conflict(`container ${id.slice(0, 12)} cannot go from ${from} to ${to}`);
  }
}
