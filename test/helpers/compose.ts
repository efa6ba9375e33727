// Docker's Compose plugin (v5, built by scripts/setup) for tests: made visible to the
// docker CLI of a test daemon (runCli sets DOCKER_CONFIG, so the plugin is linked there).
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
