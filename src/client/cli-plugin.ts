// Docker CLI plugins the CLI user has installed (docker-compose), found where the docker CLI
// looks for them and run with the terminal handed over: `berth compose` is Docker's own
// Compose pointed at berthd, as `podman compose` runs it. With credential-helper.ts, the only
// client modules allowed node:child_process (docs/architecture.md).
import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { constants as os } from 'node:os';

/** The docker CLI's plugin directories: the user's first, then the system's. */
export function pluginDirs(env: NodeJS.ProcessEnv): string[] {
  return [
    join(env.DOCKER_CONFIG || join(homedir(), '.docker'), 'cli-plugins'),
    '/usr/local/lib/docker/cli-plugins',
    '/usr/local/libexec/docker/cli-plugins',
    '/usr/lib/docker/cli-plugins',
    '/usr/libexec/docker/cli-plugins',
  ];
}

export function findPlugin(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of pluginDirs(env)) {
    const p = join(dir, `docker-${name}`);
    try {
      if (!statSync(p).isFile()) continue;
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/**
 * Runs a plugin standalone with the caller's terminal; resolves with its exit status (a
 * signal's death as the shell reports it, 128 + n). Ctrl-C reaches it through the terminal's
 * process group; signals sent to berth itself are passed on.
 */
export function runPlugin(path: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, { stdio: 'inherit', env });
    const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
    const handlers = (['SIGTERM', 'SIGHUP'] as const).map((s) => [s, forward(s)] as const);
    for (const [s, h] of handlers) process.on(s, h);
    // The child gets the terminal's SIGINT itself; berth waits for it to finish.
    const onInt = () => {};
    process.on('SIGINT', onInt);
    const done = () => {
      for (const [s, h] of handlers) process.off(s, h);
      process.off('SIGINT', onInt);
    };
    child.once('error', (err) => {
      done();
      reject(err);
    });
    child.once('exit', (code, signal) => {
      done();
      resolve(code ?? 128 + (signal ? (os.signals[signal] ?? 1) : 1));
    });
  });
}
