// Docker's restart policies and backoff (moby's restartmanager): whether an exit restarts
// the container, and how long the supervisor waits first.
import type { ContainerRuntimeState } from '../../containers/types.ts';
import type { RestartPolicy } from '../../api/types/containers.ts';

export const BACKOFF_START_MS = 100;
export const BACKOFF_MAX_MS = 60_000;
/** A run at least this long resets the backoff: the container had been healthy. */
export const RESET_AFTER_MS = 10_000;

export function shouldRestart(
  rt: Pick<ContainerRuntimeState, 'manuallyStopped' | 'restartCount'>,
  exitCode: number,
  policy: RestartPolicy | undefined,
): boolean {
  if (rt.manuallyStopped) return false;
  switch (policy?.Name) {
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure': {
      const max = policy.MaximumRetryCount ?? 0;
      return exitCode !== 0 && (max === 0 || rt.restartCount < max);
    }
    default:
      return false;
  }
}

/** The next delay: 100 ms, doubling to 1 min; 100 ms again after a run of 10 s or more. `prevMs` 0: the first. */
export function nextRestartDelay(prevMs: number, ranMs: number): number {
  if (prevMs === 0 || ranMs >= RESET_AFTER_MS) return BACKOFF_START_MS;
  return Math.min(prevMs * 2, BACKOFF_MAX_MS);
}
