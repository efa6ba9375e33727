// Watches nf_tables for changes made by anyone (`nft -j monitor`): Docker (re)starting and
// rewriting its iptables-nft chains, a firewall reload, `nft flush ruleset`. One long-lived
// child per daemon, tied to berthd's life by a parent-death signal so a SIGKILLed berthd
// leaves no monitor behind; restarted if it ends on its own. Legacy iptables tables send
// no events (the guard polls those).
import { createInterface } from 'node:readline';
import { killProcessGroup, spawnChild } from '../sys/exec.ts';

type ChildProcess = ReturnType<typeof spawnChild>;

export interface NftChange {
  /** add, delete, insert, replace, create… as nft prints them. */
  verb: string;
  /** table, chain, rule, set, element… */
  object: string;
  family: string;
  table: string;
}

const SETPRIV = '/usr/bin/setpriv';
const NFT = '/usr/sbin/nft';

/** One line of `nft -j monitor`; anything else (the "# new generation" notes) is undefined. */
export function parseMonitorLine(line: string): NftChange | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const j = JSON.parse(line) as Record<string, Record<string, Record<string, unknown>>>;
    const verb = Object.keys(j)[0];
    const inner = j[verb];
    const object = inner && Object.keys(inner)[0];
    const o = object ? inner[object] : undefined;
    if (!o) return undefined;
    const table = object === 'table' ? o.name : o.table;
    if (typeof o.family !== 'string' || typeof table !== 'string') return undefined;
    return { verb, object, family: o.family, table };
  } catch {
    return undefined;
  }
}

export class NftMonitor {
  private child: ChildProcess | undefined;
  private stopped = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly onChange: (c: NftChange) => void;
  private readonly onError: (err: Error) => void;
  constructor(onChange: (c: NftChange) => void, onError: (err: Error) => void) {
    this.onChange = onChange;
    this.onError = onError;
  }

  start(): void {
    if (this.stopped || this.child) return;
    let child: ChildProcess;
    try {
      child = spawnChild(SETPRIV, ['--pdeathsig', 'KILL', '--', NFT, '-j', 'monitor'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (err) {
      this.onError(err as Error);
      return;
    }
    this.child = child;
    child.on('error', (err) => this.onError(err));
    createInterface({ input: child.stdout! }).on('line', (l) => {
      const c = parseMonitorLine(l);
      if (c) this.onChange(c);
    });
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => {
      if (stderr.length < 4096) stderr += b.toString();
    });
    child.on('close', (code, signal) => {
      this.child = undefined;
      if (this.stopped) return;
      this.onError(new Error(`nft monitor ended (${signal ?? code}): ${stderr.trim()}`));
      this.restartTimer = setTimeout(() => this.start(), 1000);
      this.restartTimer.unref();
    });
    // nft subscribes a few ms after it starts and says nothing when it has: callers check
    // the state once after start (and now and then) so a change in that window is not lost.
    // The monitor never keeps berthd alive on its own.
    child.unref();
    (child.stdout as { unref?: () => void }).unref?.();
    (child.stderr as { unref?: () => void }).unref?.();
  }

  stop(): void {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.child) killProcessGroup(this.child);
    this.child = undefined;
  }
}
