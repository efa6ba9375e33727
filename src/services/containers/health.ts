// HEALTHCHECK: the supervisor's TaskProbes. While a task runs (not paused) its probe runs
// as an exec in the container on Docker's schedule — StartInterval during the start
// period while the status is `starting`, else Interval, counted from the end of the last
// probe — and its result goes into State.Health as dockerd records it: the last 5 results
// (output capped at 4096 bytes, "..." when cut), a failing streak that the start period
// does not count, `unhealthy` after Retries failures, a `health_status: …` event on each
// change. A probe past its timeout is killed (exit -1). Between probes nothing runs: one
// timer per container. After a berthd restart the supervisor's adopt starts the probes
// again with the recorded Health.
import type { Readable } from 'node:stream';
import { messageOf } from '../../common/errors.ts';
import { newId } from '../../common/ids.ts';
import type { Logger } from '../../common/logger.ts';
import type { Container, ContainerStore } from '../../containers/store.ts';
import { recordFields } from '../../containers/state-machine.ts';
import type { EventBus } from '../../events/bus.ts';
import type { ImageStore } from '../../images/store.ts';
import type { Health, HealthcheckResult, HealthConfig } from '../../api/types/containers.ts';
import type { ExecProcess, LayerPort, Task, TaskRuntime } from './ports.ts';
import type { LiveRegistry } from './live.ts';
import type { TaskProbes } from './supervisor.ts';
import { lowersOf, upperOf } from './rootfs.ts';

const NS_PER_MS = 1_000_000;
const DEFAULT_INTERVAL_NS = 30_000 * NS_PER_MS;
const DEFAULT_TIMEOUT_NS = 30_000 * NS_PER_MS;
const DEFAULT_START_INTERVAL_NS = 5_000 * NS_PER_MS;
const DEFAULT_RETRIES = 3;
const MAX_LOG_ENTRIES = 5;
const MAX_OUTPUT = 4096;
/** Starting the exec must not wedge the monitor (dockerd's bound). */
const START_TIMEOUT_MS = 30_000;
const SIGKILL = 9;

export interface HealthDeps {
  readonly store: ContainerStore;
  readonly images: ImageStore;
  readonly layers: LayerPort;
  readonly runtime: TaskRuntime;
  readonly events: EventBus;
  readonly live: LiveRegistry;
  readonly log: Logger;
}

/** Go's time.Duration.String for whole milliseconds and up ("30s", "1.5s", "500ms", "1m30s"). */
export function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  if (ns < 1e9) {
    const ms = ns / 1e6;
    return `${Number.isInteger(ms) ? ms : ms.toFixed(3).replace(/0+$/, '')}ms`;
  }
  let s = ns / 1e9;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const sec = Number.isInteger(s) ? String(s) : s.toFixed(9).replace(/0+$/, '');
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${sec}s`;
}

/** The probe's command, or undefined when the container has none (no config, NONE, unknown type). */
export function probeCommand(
  cfg: HealthConfig | null | undefined,
  shell: string[] | null | undefined,
): string[] | undefined {
  const test = cfg?.Test ?? [];
  if (test.length === 0) return undefined;
  if (test[0] === 'CMD' && test.length > 1) return test.slice(1);
  if (test[0] === 'CMD-SHELL' && test.length > 1)
    return [...(shell?.length ? shell : ['/bin/sh', '-c']), ...test.slice(1)];
  return undefined;
}

/** dockerd's limitedBuffer: the first 4096 bytes of stdout and stderr together, "..." when cut. */
class CappedOutput {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private cut = false;

  add(b: Buffer): void {
    const keep = Math.min(MAX_OUTPUT - this.size, b.length);
    if (keep > 0) {
      this.chunks.push(keep === b.length ? b : Buffer.from(b.subarray(0, keep)));
      this.size += keep;
    }
    if (keep < b.length) this.cut = true;
  }

  toString(): string {
    return Buffer.concat(this.chunks).toString('utf8') + (this.cut ? '...' : '');
  }
}

/** Reads a stream to its end, keeping at most the cap: the process never blocks on a full pipe. */
function drain(stream: Readable | null, out: CappedOutput): Promise<void> {
  if (!stream) return Promise.resolve();
  return new Promise((resolve) => {
    stream.on('data', (b: Buffer) => out.add(b));
    stream.once('end', resolve);
    stream.once('close', resolve);
    stream.once('error', () => resolve());
  });
}

const nowIso = () => new Date().toISOString();

interface Monitor {
  timer?: NodeJS.Timeout;
  /** Kills the probe in flight (its result is then ignored). */
  abort?: () => void;
  stopped: boolean;
}

export class HealthProbes implements TaskProbes {
  private readonly d: HealthDeps;
  private readonly monitors = new Map<string, Monitor>();

  constructor(deps: HealthDeps) {
    this.d = deps;
  }

  /** A task began to run (launch, adopt, resume): schedule its probes. */
  start(c: Container, task: Task): void {
    const cfg = c.record.config;
    if (!probeCommand(cfg.Healthcheck, cfg.Shell)) return;
    this.stop(c.record.id);
    if (!c.runtime.state.Health) this.setHealth(c, { Status: 'starting', FailingStreak: 0, Log: [] });
    const m: Monitor = { stopped: false };
    this.monitors.set(c.record.id, m);
    this.schedule(c, task, m);
  }

  /** The task stopped running (pause, exit, removal): no more probes; one in flight is killed. */
  stop(id: string): void {
    const m = this.monitors.get(id);
    if (!m) return;
    m.stopped = true;
    if (m.timer) clearTimeout(m.timer);
    m.abort?.();
    this.monitors.delete(id);
  }

  /** berthd is shutting down: probes in flight are killed, nothing more is scheduled. */
  stopAll(): void {
    for (const id of [...this.monitors.keys()]) this.stop(id);
  }

  private setHealth(c: Container, h: Health): void {
    recordFields(c, { Health: h });
  }

  private interval(c: Container): number {
    const h = c.record.config.Healthcheck ?? {};
    const interval = h.Interval || DEFAULT_INTERVAL_NS;
    const startPeriod = h.StartPeriod || 0;
    const sinceStart = (Date.now() - Date.parse(c.runtime.state.StartedAt)) * NS_PER_MS;
    if (sinceStart >= startPeriod) return interval;
    return c.runtime.state.Health?.Status === 'starting' ? h.StartInterval || DEFAULT_START_INTERVAL_NS : interval;
  }

  private schedule(c: Container, task: Task, m: Monitor): void {
    if (m.stopped) return;
    m.timer = setTimeout(() => {
      m.timer = undefined;
      void this.probe(c, task, m)
        .then((result) => {
          if (m.stopped || !result) return;
          this.record(c, result);
          this.schedule(c, task, m);
        })
        .catch((err) => {
          this.d.log.warn('health check failed to run', { container: c.record.id, err });
          if (!m.stopped) {
            this.record(c, { Start: nowIso(), End: nowIso(), ExitCode: -1, Output: messageOf(err) });
            this.schedule(c, task, m);
          }
        });
    }, this.interval(c) / NS_PER_MS);
    m.timer.unref();
  }

  /** One probe: an exec in the container, bounded by the timeout; undefined when stopped meanwhile. */
  private async probe(c: Container, task: Task, m: Monitor): Promise<HealthcheckResult | undefined> {
    const d = this.d;
    const cfg = c.record.config;
    const cmd = probeCommand(cfg.Healthcheck, cfg.Shell)!;
    const id = c.record.id;
    const execId = newId();
    const start = nowIso();
    const process = await d.runtime.buildExecProcess({
      containerId: id,
      args: cmd,
      env: [],
      cwd: '',
      user: '',
      terminal: false,
      privileged: false,
      readImageFile: (path) => {
        const lowers = d.images.get(c.record.image) ? lowersOf(d, c) : [];
        return d.layers.readFile(lowers, upperOf(d, c), path, 1 << 20);
      },
    });
    if (m.stopped) return undefined;
    const proc: ExecProcess = await task.exec({ execId, process, terminal: false, openStdin: false });
    const output = new CappedOutput();
    const outputDone = Promise.all([drain(proc.io.stdout, output), drain(proc.io.stderr, output)]);
    let killedForTimeout = false;
    let timer: NodeJS.Timeout | undefined;
    try {
      d.events.publish('container', `exec_create: ${cmd.join(' ')}`, id, { execID: execId });
      const started = proc.start();
      let startTimer: NodeJS.Timeout | undefined;
      await Promise.race([
        started,
        new Promise((_, reject) => {
          startTimer = setTimeout(
            () => reject(new Error(`timed out starting health check for container ${id}`)),
            START_TIMEOUT_MS,
          );
        }),
      ]).finally(() => clearTimeout(startTimer));
      d.events.publish('container', `exec_start: ${cmd.join(' ')}`, id, { execID: execId });
      const timeoutNs = cfg.Healthcheck?.Timeout || DEFAULT_TIMEOUT_NS;
      const kill = () => void proc.kill(SIGKILL).catch(() => {});
      m.abort = kill;
      timer = setTimeout(() => {
        killedForTimeout = true;
        kill();
      }, timeoutNs / NS_PER_MS);
      const exit = await proc.wait().catch(() => ({ exitCode: -1, exitedAt: nowIso() }));
      clearTimeout(timer);
      await Promise.race([outputDone, new Promise((r) => setTimeout(r, 2000).unref())]);
      d.events.publish('container', 'exec_die', id, { execID: execId, exitCode: String(exit.exitCode) });
      if (m.stopped) return undefined;
      if (killedForTimeout) {
        const out = output.toString();
        const limit = goDuration(timeoutNs);
        return {
          Start: start,
          End: nowIso(),
          ExitCode: -1,
          Output: out ? `Health check exceeded timeout (${limit}): ${out}` : `Health check exceeded timeout (${limit})`,
        };
      }
      return { Start: start, End: nowIso(), ExitCode: exit.exitCode, Output: output.toString() };
    } finally {
      clearTimeout(timer);
      m.abort = undefined;
      await proc.delete();
    }
  }

  /** dockerd's handleProbeResult. */
  private record(c: Container, result: HealthcheckResult): void {
    const cfg = c.record.config.Healthcheck ?? {};
    const retries = (cfg.Retries ?? 0) > 0 ? cfg.Retries! : DEFAULT_RETRIES;
    const old = c.runtime.state.Health ?? { Status: 'starting', FailingStreak: 0, Log: [] };
    const log = [...(old.Log ?? []), result].slice(-MAX_LOG_ENTRIES);
    let status = old.Status;
    let streak = old.FailingStreak;
    if (result.ExitCode === 0) {
      streak = 0;
      status = 'healthy';
    } else {
      // While starting, failures within the start period do not count.
      const sinceStart = (Date.parse(result.Start) - Date.parse(c.runtime.state.StartedAt)) * NS_PER_MS;
      if (!(status === 'starting' && sinceStart < (cfg.StartPeriod || 0))) {
        streak++;
        if (streak >= retries) status = 'unhealthy';
      }
    }
    this.setHealth(c, { Status: status, FailingStreak: streak, Log: log });
    if (status !== old.Status) {
      // Saved on each change so a berthd restart shows what was last seen.
      void this.d.store
        .saveState(c)
        .catch((err) => this.d.log.warn('saving health state failed', { container: c.record.id, err }));
      this.d.events.publish('container', `health_status: ${status}`, c.record.id);
    }
  }
}
