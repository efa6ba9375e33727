// Docker's Compose plugin (v5, built by scripts/setup) for tests: made visible to the
// docker CLI of a test daemon (runCli sets DOCKER_CONFIG, so the plugin is linked there),
// and what berthd can do of the parts of a compose project other issues are building.
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { findPlugin } from '../../src/client/cli-plugin.ts';
import { repoRoot, type TestDaemon } from './daemon.ts';

/** The installed plugin (~/.docker/cli-plugins, system dirs), else the one setup built. */
export function composePlugin(): string | undefined {
  const env = { ...process.env, DOCKER_CONFIG: '' };
  return (
    findPlugin('compose', env) ??
    (existsSync(join(repoRoot, '.tools', 'docker-compose')) ? join(repoRoot, '.tools', 'docker-compose') : undefined)
  );
}

/** Links the plugin into the test daemon's client config directory. */
export function linkCompose(d: TestDaemon): void {
  const dir = join(d.root, 'docker-config', 'cli-plugins');
  mkdirSync(dir, { recursive: true });
  const link = join(dir, 'docker-compose');
  if (!existsSync(link)) symlinkSync(composePlugin()!, link);
}

export interface Features {
  healthchecks: boolean;
  limits: boolean;
}

/** Probes berthd for healthchecks and enforced resource limits. */
export async function probeFeatures(d: TestDaemon): Promise<Features> {
  const run = async (body: Record<string, unknown>) => {
    const c = await d.api('POST', '/containers/create', { body: { Image: 'busybox', ...body } });
    if (c.status !== 201) return undefined;
    const id = c.json().Id as string;
    const s = await d.api('POST', `/containers/${id}/start`);
    return { id, started: s.status === 204 };
  };
  let healthchecks = false;
  const h = await run({
    Cmd: ['sleep', '30'],
    Healthcheck: { Test: ['CMD', 'true'], Interval: 200_000_000, Retries: 3 },
  });
  if (h?.started) {
    for (let i = 0; i < 25 && !healthchecks; i++) {
      const st = (await d.api('GET', `/containers/${h.id}/json`)).json().State;
      healthchecks = st?.Health?.Status === 'healthy';
      if (!healthchecks) await new Promise((r) => setTimeout(r, 200));
    }
  }
  if (h) await d.api('DELETE', `/containers/${h.id}?force=1`);
  // A 64 MiB memory limit, read back from the container's own cgroup (v1 or v2).
  let limits = false;
  const l = await run({
    Cmd: ['sh', '-c', 'cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null'],
    HostConfig: { Memory: 64 << 20 },
  });
  if (l?.started) {
    await d.api('POST', `/containers/${l.id}/wait`);
    const logs = (await d.api('GET', `/containers/${l.id}/logs?stdout=1`)).body.toString('latin1');
    limits = logs.includes(String(64 << 20));
  }
  if (l) await d.api('DELETE', `/containers/${l.id}?force=1`);
  return { healthchecks, limits };
}
