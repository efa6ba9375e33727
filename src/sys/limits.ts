// Go programs raise their soft RLIMIT_NOFILE to the hard limit on their own; Node does
// not, and a daemon holding FIFOs and sockets for many containers needs the headroom.
import { getrlimit, setrlimit, RLIMIT_NOFILE } from './libc.ts';

export function raiseNofileLimit(): void {
  try {
    const l = getrlimit(RLIMIT_NOFILE);
    if (l.soft < l.hard) setrlimit(RLIMIT_NOFILE, { soft: l.hard, hard: l.hard });
  } catch {
    /* best effort: the defaults still work for small numbers of containers */
  }
}
