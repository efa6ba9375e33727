// An exclusive advisory lock held for a process's lifetime (flock on an fd kept open), so
// a second berthd pointed at the same data root refuses to start instead of corrupting it.
import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { conflict } from '../common/errors.ts';
import { flock, LOCK_EX, LOCK_NB, LOCK_UN } from './libc.ts';

export interface FileLock {
  readonly path: string;
  release(): void;
}

export function lockFile(path: string): FileLock {
  const fd = openSync(path, 'a+', 0o600);
  try {
    flock(fd, LOCK_EX | LOCK_NB);
  } catch (err) {
    closeSync(fd);
    if ((err as NodeJS.ErrnoException).code === 'EWOULDBLOCK' || (err as NodeJS.ErrnoException).code === 'EAGAIN') {
      const holder = readHolder(path);
      throw conflict(
        `${path} is locked by another process${holder ? ` (pid ${holder})` : ''}: is another berthd using this data root?`,
        err,
      );
    }
    throw err;
  }
  // Record our pid for the message above; the lock, not the content, is what counts.
  ftruncateSync(fd, 0);
  writeSync(fd, `${process.pid}\n`);
  let held = true;
  return {
    path,
    release() {
      if (!held) return;
      held = false;
      try {
        flock(fd, LOCK_UN);
      } finally {
        closeSync(fd);
      }
    },
  };
}

function readHolder(path: string): string | undefined {
  try {
    const s = readFileSync(path, 'utf8').trim();
    return /^\d+$/.test(s) ? s : undefined;
  } catch {
    return undefined;
  }
}
