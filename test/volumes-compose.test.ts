// docker compose with volumes: a project whose two services share a named volume (long
// and short syntax), an anonymous volume and a bind, brought up and down against berthd.
// Uses whichever Compose the machine has (`docker compose`, .tools/docker-compose, or
// docker-compose); skipped, saying so, when there is none.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRoot, repoRoot, useDaemon, type TestDaemon } from './helpers/daemon.ts';

/** A Compose binary, run standalone (the plugin binary works on its own too). */
function findCompose(): string[] | undefined {
  const home = process.env.HOME ?? '/root';
  for (const p of [
    join(repoRoot, '.tools', 'docker-compose'),
    join(home, '.docker', 'cli-plugins', 'docker-compose'),
    '/usr/local/lib/docker/cli-plugins/docker-compose',
    '/usr/libexec/docker/cli-plugins/docker-compose',
  ])
    if (existsSync(p)) return [p];
  const v1 = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
  return /compose version/i.test(v1.stdout ?? '') ? ['docker-compose'] : undefined;
}
const compose = isRoot ? findCompose() : undefined;
const skip = !isRoot
  ? 'needs root'
  : !compose
    ? 'needs Docker Compose (docker compose, .tools/docker-compose or docker-compose)'
    : false;
let d: TestDaemon;
useDaemon((x) => (d = x));

function run(dir: string, ...args: string[]): { code: number; out: string } {
  const [bin, ...pre] = compose!;
  const r = spawnSync(bin, [...pre, '-p', 'volproj', ...args], {
    cwd: dir,
    env: {
      ...process.env,
      DOCKER_HOST: d.host,
      DOCKER_CONFIG: join(d.root, 'docker-config'),
      COMPOSE_INTERACTIVE_NO_CLI: '1',
    },
    encoding: 'utf8',
    timeout: 180_000,
  });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

test('compose: two services share a named volume; down -v removes the project volumes', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-compose-'));
  const bindDir = mkdtempSync(join(tmpdir(), 'berth-compose-bind-'));
  writeFileSync(join(bindDir, 'conf'), 'from-host');
  try {
    writeFileSync(
      join(dir, 'docker-compose.yml'),
      `version: "3.8"
services:
  writer:
    image: busybox
    command: ["sh", "-c", "echo shared-data > /data/x && cat /conf/conf > /data/y && sleep 600"]
    volumes:
      - shared:/data
      - ${bindDir}:/conf:ro
      - /scratch
  reader:
    image: busybox
    command: ["sleep", "600"]
    volumes:
      - type: volume
        source: shared
        target: /mnt/shared
        read_only: true
volumes:
  shared:
    labels:
      purpose: test
`,
    );
    const up = run(dir, 'up', '-d');
    assert.equal(up.code, 0, up.out);
    const v = await d.api('GET', '/volumes/volproj_shared');
    assert.equal(v.status, 200, 'compose made the project volume');
    assert.equal(v.json().Labels['com.docker.compose.project'], 'volproj');
    assert.equal(v.json().Labels.purpose, 'test');
    // The reader sees what the writer wrote, through one volume, read-only.
    let seen = '';
    for (let i = 0; i < 100 && !seen.includes('from-host'); i++) {
      const r = run(dir, 'exec', '-T', 'reader', 'sh', '-c', 'cat /mnt/shared/x /mnt/shared/y');
      seen = r.out;
      if (!seen.includes('from-host')) await new Promise((res) => setTimeout(res, 100));
    }
    assert.match(seen, /shared-data\s+from-host/);
    const ro = run(dir, 'exec', '-T', 'reader', 'touch', '/mnt/shared/z');
    assert.notEqual(ro.code, 0);
    const down = run(dir, 'down', '-v');
    assert.equal(down.code, 0, down.out);
    assert.equal((await d.api('GET', '/volumes/volproj_shared')).status, 404);
    const left = (await d.api('GET', '/volumes')).json().Volumes as unknown[];
    assert.deepEqual(left, [], 'the anonymous volume went with its container');
  } finally {
    run(dir, 'down', '-v');
    rmSync(dir, { recursive: true, force: true });
    rmSync(bindDir, { recursive: true, force: true });
  }
});
