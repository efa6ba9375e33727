// Pre-started shims, so `start` does not pay for launching one (two Go process starts,
// ~30–40 ms here). A pooled shim waits in <tasks>/pool-<hex>/ with a placeholder
// config.json; taking it renames that directory to the container's bundle — the shim's
// working directory moves with it — and the container's task is then created in it.
// Still one shim per container: a taken shim is never returned to the pool.
//
// Lifecycle: sweep() at start-up (shims left by a previous berthd are shut down), then
// fill(); take() hands one out (the caller calls fill() when its create is done);
// close() shuts the idle ones.
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { messageOf } from '../common/errors.ts';
import { writeFileAtomic } from '../sys/atomic.ts';
import { connectShim, shutdownShim, startShim } from './shim.ts';
import type { Shim, ShimConfig } from './shim.ts';

const PREFIX = 'pool-';

interface Idle {
  dir: string;
  shim: Shim;
}

export class ShimPool {
  private readonly cfg: ShimConfig;
  private readonly tasksDir: string;
  private readonly size: number;
  private readonly idle: Idle[] = [];
  private readonly starting = new Set<Promise<void>>();
  private closed = false;

  constructor(cfg: ShimConfig, tasksDir: string, size = 1) {
    this.cfg = cfg;
    this.tasksDir = tasksDir;
    this.size = size;
  }

  /** Shuts down shims a previous daemon left idle in the pool and removes their dirs. */
  async sweep(): Promise<void> {
    const names = await fsp.readdir(this.tasksDir).catch(() => [] as string[]);
    await Promise.all(
      names
        .filter((n) => n.startsWith(PREFIX))
        .map(async (n) => {
          const dir = join(this.tasksDir, n);
          try {
            const shim = await connectShim(this.cfg, dir, n);
            await shutdownShim(shim, 5_000).catch(() => shim.close());
          } catch {
            /* already gone */
          }
          await fsp.rm(dir, { recursive: true, force: true });
        }),
    );
  }

  /** Starts shims in the background until `size` are idle. */
  fill(): void {
    while (!this.closed && this.idle.length + this.starting.size < this.size) {
      const p: Promise<void> = this.startOne().finally(() => this.starting.delete(p));
      this.starting.add(p);
    }
  }

  private async startOne(): Promise<void> {
    const id = PREFIX + randomBytes(8).toString('hex');
    const dir = join(this.tasksDir, id);
    try {
      await fsp.mkdir(dir, { mode: 0o700 });
      // The shim's start action reads config.json for grouping annotations only.
      await writeFileAtomic(join(dir, 'config.json'), '{"ociVersion":"1.0.2"}', 0o600);
      const shim = await startShim(this.cfg, { id, bundle: dir });
      if (this.closed) {
        await shutdownShim(shim, 5_000).catch(() => shim.close());
        await fsp.rm(dir, { recursive: true, force: true });
        return;
      }
      this.idle.push({ dir, shim });
    } catch (err) {
      this.cfg.log.warn('could not pre-start a shim', { error: messageOf(err) });
      await fsp.rm(dir, { recursive: true, force: true }).catch(() => {});
    }
  }

  /**
   * Hands out an idle shim for task `id`, moving its directory to `bundle` (which must not
   * exist). Undefined when none is idle: the caller starts one the ordinary way.
   */
  async take(bundle: string, id: string): Promise<Shim | undefined> {
    // Refilling is left to the caller once its task exists: starting a shim now would
    // compete for the CPU with the very create it is waiting for.
    const got = this.idle.shift();
    if (!got) return undefined;
    try {
      await fsp.rename(got.dir, bundle);
    } catch (err) {
      await shutdownShim(got.shim, 5_000).catch(() => got.shim.close());
      await fsp.rm(got.dir, { recursive: true, force: true }).catch(() => {});
      this.cfg.log.warn('could not hand out a pooled shim', { error: messageOf(err) });
      return undefined;
    }
    return { ...got.shim, id, bundle };
  }

  async close(): Promise<void> {
    this.closed = true;
    // A launch in flight sees `closed` when it completes and shuts its shim down itself:
    // wait for it, or berthd could exit first and leave that shim running.
    await Promise.all([...this.starting]);
    const all = this.idle.splice(0);
    await Promise.all(
      all.map(async ({ dir, shim }) => {
        await shutdownShim(shim, 5_000).catch(() => shim.close());
        await fsp.rm(dir, { recursive: true, force: true });
      }),
    );
  }
}
