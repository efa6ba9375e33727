// Docker's Python SDK (Debian python3-docker) driven against a test daemon: a script gets a
// `client` bound to the daemon and prints one JSON value, which the test reads back.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { TestDaemon } from './daemon.ts';

/** Debian's interpreter: python3-docker is installed for it, not for other pythons on PATH. */
export const PYTHON = '/usr/bin/python3';

export const hasPythonSdk = existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import docker']).status === 0;

const PRELUDE = `
import json, os, sys, docker
client = docker.DockerClient(base_url=os.environ['DOCKER_HOST'], version='auto', timeout=120)
def out(v):
    sys.stdout.write(json.dumps(v))
def api_error(fn):
    try:
        fn()
    except docker.errors.APIError as e:
        return {'status': e.status_code, 'explanation': e.explanation}
    return None
`;

/** Runs `script` (indented at top level) with `client`; returns what it passed to out(). */
export function py<T = any>(d: TestDaemon, script: string, timeoutMs = 120_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['-'], {
      env: { ...process.env, DOCKER_HOST: d.host, PYTHONDONTWRITEBYTECODE: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(t);
      if (code !== 0) return reject(new Error(`python exited ${code}:\n${stderr}\n${stdout}`));
      try {
        resolve(JSON.parse(stdout) as T);
      } catch {
        reject(new Error(`python printed no JSON:\n${stdout}\n${stderr}`));
      }
    });
    child.stdin.end(PRELUDE + dedent(script));
  });
}

function dedent(s: string): string {
  const lines = s.replace(/^\n/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n') + '\n';
}
