// Docker Compose v5 (the docker CLI plugin scripts/setup builds from the Go module proxy)
// against berthd, end to end on a realistic project: a service built from a Dockerfile, a web
// service with published ports, two networks with aliases, environment and env_file,
// restart policies, secrets and configs from files, profiles, depends_on with
// service_completed_successfully, and up -d --wait, ps, logs -f, exec, run --rm, up --scale,
// restart, stop, watch, down -v --rmi local. Parts other issues are building join the project
// when berthd has them (probeFeatures): a database with a named volume (issue 10), its
// healthcheck and `condition: service_healthy` (issue 11), deploy.resources.limits checked
// from inside the container (issue 11). Builds use the classic builder (DOCKER_BUILDKIT=0, as
// without buildx); BuildKit-only build features are refused by Compose, which is checked too.
// `berth compose` runs the same plugin; Debian's docker-compose 1.29 keeps working.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasDockerCli, isRoot, runCli, type TestDaemon, useDaemon } from './helpers/daemon.ts';
import { composePlugin, type Features, linkCompose, probeFeatures } from './helpers/compose.ts';
import { waitUntil } from './helpers/log-servers.ts';

const skip = !isRoot
  ? 'needs root'
  : !hasDockerCli()
    ? 'needs the docker CLI'
    : !composePlugin()
      ? 'needs Docker Compose v5 (scripts/setup builds it)'
      : false;

function write(dir: string, files: Record<string, string>): void {
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), body);
  }
}

/** The project, with the parts berthd supports today. */
function composeFile(f: Features): string {
  const db = f.volumes
    ? `
  db:
    image: busybox
    init: true
    command: ["sh", "-c", "echo rows > /data/table; exec sleep 100000"]
    volumes: [dbdata:/data]${
      f.healthchecks
        ? `
    healthcheck:
      test: ["CMD", "test", "-f", "/data/table"]
      interval: 1s
      retries: 30`
        : ''
    }
    networks: [backend]`
    : '';
  const apiDepends = `
      migrate:
        condition: service_completed_successfully${
          f.volumes
            ? `
      db:
        condition: ${f.healthchecks ? 'service_healthy' : 'service_started'}`
            : ''
        }`;
  const limits = f.limits
    ? `
    deploy:
      resources:
        limits:
          memory: 64M`
    : '';
  return `name: shop
services:
  migrate:
    build: ./migrate
    networks: [backend]
  api:
    build:
      context: ./api
      args:
        VERSION: "1.2"
    image: shop-api:local
    pull_policy: build
    init: true
    environment:
      - MODE=production
    env_file: [./api.env]
    networks:
      backend:
        aliases: [api-svc, api.internal]
    restart: unless-stopped
    secrets: [api_key]
    configs:
      - source: app_conf
        target: /etc/app.conf
    depends_on:${apiDepends}${limits}
    develop:
      watch:
        - action: sync
          path: ./api/static
          target: /www/static
  web:
    image: busybox
    init: true
    command: ["sh", "-c", "mkdir -p /www && echo hello-from-web > /www/index.html && exec httpd -f -p 8080 -h /www"]
    ports: ["8080"]
    networks: [frontend, backend]
    depends_on: [api]
  debug:
    image: busybox
    profiles: [debug]
    init: true
    command: ["sleep", "100000"]
    networks: [frontend]${db}
networks:
  frontend:
  backend:
secrets:
  api_key:
    file: ./secrets/api_key.txt
configs:
  app_conf:
    file: ./app.conf
${f.volumes ? 'volumes:\n  dbdata:\n' : ''}`;
}

const FILES = {
  'migrate/Dockerfile': 'FROM busybox\nCMD ["sh", "-c", "echo migrating; sleep 1; echo migrated"]\n',
  'api/Dockerfile':
    'FROM busybox\nARG VERSION=0\nRUN echo "version $VERSION" > /version\nCOPY serve.sh /serve.sh\nCMD ["sh", "/serve.sh"]\n',
  // The server runs until /tmp/crash appears: then the service fails (for its restart policy).
  'api/serve.sh':
    'echo "api $(cat /version) mode=$MODE flavor=$FLAVOR key=$(cat /run/secrets/api_key) conf=$(cat /etc/app.conf)"\n' +
    'rm -f /tmp/crash; mkdir -p /www/static && echo api-ok > /www/index.html\nhttpd -p 80 -h /www\n' +
    'while [ ! -f /tmp/crash ]; do sleep 0.2; done\necho crashing; exit 1\n',
  'api/static/page.txt': 'v1\n',
  'api.env': 'FLAVOR=vanilla\n',
  'secrets/api_key.txt': 's3cr3t\n',
  'app.conf': 'conf-v1\n',
};

describe('Compose v5 against berthd', { skip }, () => {
  let d!: TestDaemon;
  let dir!: string;
  let features!: Features;
  useDaemon((x) => (d = x));
  const children: ChildProcess[] = [];
  before(async () => {
    linkCompose(d);
    features = await probeFeatures(d);
    dir = mkdtempSync(join(tmpdir(), 'berth-compose-'));
    write(dir, { ...FILES, 'compose.yaml': composeFile(features) });
  });
  after(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Compose v5 lists the project's volumes (GET /volumes) on every up, run and down. */
  const needsVolumeApi = (t: { skip(msg: string): void }) => {
    if (features.volumes) return false;
    t.skip('Compose v5 lists volumes (GET /volumes) on every up, run and down: needs the volume API (issue 10)');
    return true;
  };
  const env = () => ({
    ...process.env,
    DOCKER_HOST: d.host,
    DOCKER_CONFIG: join(d.root, 'docker-config'),
    DOCKER_BUILDKIT: '0',
  });
  const compose = async (args: string[], expect: number | null = 0) => {
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const c = spawn('docker', ['compose', ...args], { cwd: dir, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      c.stdout.on('data', (b) => (stdout += b));
      c.stderr.on('data', (b) => (stderr += b));
      const t = setTimeout(() => c.kill('SIGKILL'), 180_000);
      c.on('close', (code) => {
        clearTimeout(t);
        resolve({ code: code ?? -1, stdout, stderr });
      });
    });
    if (expect !== null) assert.equal(r.code, expect, `docker compose ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`);
    return r;
  };
  /** A long-running compose command whose output the test watches. */
  const background = (args: string[]) => {
    const c = spawn('docker', ['compose', ...args], { cwd: dir, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(c);
    let out = '';
    c.stdout!.on('data', (b) => (out += b));
    c.stderr!.on('data', (b) => (out += b));
    return { child: c, output: () => out };
  };
  const ps = async (all = false) =>
    (await compose(['ps', ...(all ? ['-a'] : []), '--format', 'json'])).stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  const docker = async (args: string[]) => {
    const r = await runCli('docker', d, args);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  test('up -d --wait: built images, depends_on order, ports, networks with aliases, env, secrets, configs', async (t) => {
    if (needsVolumeApi(t)) return;
    t.diagnostic(`berthd has: ${JSON.stringify(features)}`);
    await compose(['up', '-d', '--wait']);
    const all = await ps(true);
    const state = Object.fromEntries(all.map((c) => [c.Service, c]));
    assert.deepEqual(Object.keys(state).sort(), [...(features.volumes ? ['db'] : []), 'api', 'migrate', 'web'].sort());
    assert.equal(state.migrate.State, 'exited');
    assert.equal(state.migrate.ExitCode, 0);
    assert.equal(state.api.State, 'running');
    // service_completed_successfully: migrate had finished before api started.
    const started = (n: string) => docker(['inspect', '-f', '{{.State.StartedAt}} {{.State.FinishedAt}}', n]);
    const [, migFinished] = (await started('shop-migrate-1')).trim().split(' ');
    const [apiStarted] = (await started('shop-api-1')).trim().split(' ');
    assert.ok(Date.parse(apiStarted) >= Date.parse(migFinished), `${apiStarted} >= ${migFinished}`);
    // The published port answers on the host.
    const port = state.web.Publishers.find((p: { TargetPort: number }) => p.TargetPort === 8080).PublishedPort;
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), 'hello-from-web\n');
    // Build args, environment, env_file, the secret and the config, from inside.
    const inside = await compose([
      'exec',
      '-T',
      'api',
      'sh',
      '-c',
      'cat /version; echo $MODE $FLAVOR; cat /run/secrets/api_key /etc/app.conf',
    ]);
    assert.equal(inside.stdout, 'version 1.2\nproduction vanilla\ns3cr3t\nconf-v1\n');
    // Aliases on the backend network; the web service is on both networks, api on one.
    for (const alias of ['api-svc', 'api.internal', 'api'])
      assert.equal(
        (await compose(['exec', '-T', 'web', 'wget', '-qO-', `http://${alias}/`])).stdout,
        'api-ok\n',
        alias,
      );
    const nets = JSON.parse(await docker(['inspect', '-f', '{{json .NetworkSettings.Networks}}', 'shop-api-1']));
    assert.deepEqual(Object.keys(nets), ['shop_backend']);
    assert.ok(nets.shop_backend.Aliases.includes('api-svc') && nets.shop_backend.Aliases.includes('api.internal'));
    const webNets = JSON.parse(await docker(['inspect', '-f', '{{json .NetworkSettings.Networks}}', 'shop-web-1']));
    assert.deepEqual(Object.keys(webNets).sort(), ['shop_backend', 'shop_frontend']);
    if (features.volumes) assert.equal((await compose(['exec', '-T', 'db', 'cat', '/data/table'])).stdout, 'rows\n');
    if (features.limits)
      assert.match(
        (
          await compose(
            [
              'exec',
              '-T',
              'api',
              'sh',
              '-c',
              'cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null',
            ],
            null,
          )
        ).stdout,
        /^67108864$/m,
      );
    const logs = await compose(['logs', '--no-log-prefix', 'api']);
    assert.match(logs.stdout, /api version 1\.2 mode=production flavor=vanilla key=s3cr3t conf=conf-v1/);
  });

  test('logs -f follows across restart; the restart policy brings a crashed service back', async (t) => {
    if (needsVolumeApi(t)) return;
    const f = background(['logs', '-f', '--no-log-prefix', 'api']);
    await waitUntil(() => f.output().includes('api version'), 'the first start in logs -f');
    await compose(['restart', 'api']);
    await waitUntil(() => (f.output().match(/api version/g) ?? []).length >= 2, 'the restart in logs -f', 30_000);
    f.child.kill('SIGTERM');
    // unless-stopped: the server dying (not a stop) is restarted by berthd.
    const before = Number(await docker(['inspect', '-f', '{{.RestartCount}}', 'shop-api-1']));
    await compose(['exec', '-T', 'api', 'touch', '/tmp/crash']);
    let count = before;
    for (let i = 0; i < 100 && count === before; i++) {
      await new Promise((r) => setTimeout(r, 200));
      count = Number(await docker(['inspect', '-f', '{{.RestartCount}}', 'shop-api-1']));
    }
    assert.ok(count > before, 'restarted after its process died');
  });

  test('run --rm, up --scale web=3, profiles', async (t) => {
    if (needsVolumeApi(t)) return;
    const one = await compose(['run', '--rm', '--no-deps', 'web', 'echo', 'one-off']);
    assert.match(one.stdout, /one-off/);
    assert.ok(!(await ps(true)).some((c) => c.Name.includes('-run-')), 'run --rm leaves no container');
    await compose(['up', '-d', '--wait', '--scale', 'web=3']);
    const webs = (await ps()).filter((c) => c.Service === 'web');
    assert.equal(webs.length, 3);
    const ports = new Set<number>();
    for (const w of webs) {
      const p = w.Publishers.find((x: { TargetPort: number }) => x.TargetPort === 8080).PublishedPort;
      ports.add(p);
      assert.equal(await (await fetch(`http://127.0.0.1:${p}/`)).text(), 'hello-from-web\n');
    }
    assert.equal(ports.size, 3);
    assert.ok(!(await ps()).some((c) => c.Service === 'debug'), 'debug is in a profile not enabled');
    await compose(['--profile', 'debug', 'up', '-d', 'debug']);
    assert.ok((await ps()).some((c) => c.Service === 'debug' && c.State === 'running'));
  });

  test('watch syncs a changed file into the running service', async (t) => {
    if (needsVolumeApi(t)) return;
    const w = background(['watch', '--no-up']);
    await waitUntil(() => w.output().includes('Watch enabled'), 'watch to start', 60_000);
    writeFileSync(join(dir, 'api/static/page.txt'), 'v2\n');
    let got = '';
    for (let i = 0; i < 100 && got !== 'v2\n'; i++) {
      await new Promise((r) => setTimeout(r, 200));
      got = (await compose(['exec', '-T', 'api', 'cat', '/www/static/page.txt'], null)).stdout;
    }
    assert.equal(got, 'v2\n');
    w.child.kill('SIGTERM');
  });

  test('restart, stop, down -v --rmi local', async (t) => {
    if (needsVolumeApi(t)) return;
    const before = await docker(['inspect', '-f', '{{.State.StartedAt}}', 'shop-web-1']);
    await compose(['restart']);
    assert.notEqual(await docker(['inspect', '-f', '{{.State.StartedAt}}', 'shop-web-1']), before);
    await compose(['--profile', 'debug', 'stop']);
    assert.ok(
      (await ps(true)).every((c) => c.State === 'exited'),
      'everything stopped',
    );
    await compose(['--profile', 'debug', 'down', '-v', '--rmi', 'local']);
    assert.equal((await docker(['ps', '-aq'])).trim(), '');
    const nets = (await docker(['network', 'ls', '--format', '{{.Name}}'])).split('\n');
    assert.ok(!nets.some((n) => n.startsWith('shop_')), 'networks removed');
    const images = (await docker(['images', '--format', '{{.Repository}}:{{.Tag}}'])).split('\n');
    assert.ok(!images.includes('shop-migrate:latest'), 'the image built without a custom tag is removed');
    assert.ok(images.includes('shop-api:local'), 'the image with its own name is kept (--rmi local)');
    if (features.volumes)
      assert.ok(!(await docker(['volume', 'ls', '-q'])).includes('shop_dbdata'), 'the named volume is removed');
  });

  test('BuildKit-only build features are refused by Compose with the classic builder', async () => {
    write(dir, {
      'bk/compose.yaml':
        'name: bk\nservices:\n  b:\n    build:\n      context: .\n      secrets: [s]\n    pull_policy: build\nsecrets:\n  s:\n    file: ./s.txt\n',
      'bk/Dockerfile': 'FROM busybox\n',
      'bk/s.txt': 'x\n',
    });
    const r = await compose(['-f', join(dir, 'bk/compose.yaml'), 'build'], null);
    assert.match(r.stdout + r.stderr, /the classic builder doesn't support secrets/);
  });

  test('berth compose runs the same plugin against berthd', async (t) => {
    if (needsVolumeApi(t)) return;
    write(dir, {
      'small/compose.yaml':
        'name: small\nservices:\n  s:\n    image: busybox\n    init: true\n    command: ["sleep", "100000"]\n',
    });
    const berth = (args: string[]) =>
      runCli('berth', d, ['compose', '-f', join(dir, 'small/compose.yaml'), ...args], undefined, 120_000);
    assert.equal((await berth(['up', '-d', '--wait'])).code, 0);
    const ps2 = await berth(['ps', '--format', '{{.Name}} {{.State}}']);
    assert.equal(ps2.stdout.trim(), 'small-s-1 running');
    assert.equal((await docker(['ps', '--format', '{{.Names}}'])).trim(), 'small-s-1');
    assert.equal((await berth(['down'])).code, 0);
    assert.match((await runCli('berth', d, ['compose', 'version'])).stdout, /Docker Compose version v5\.6\.0/);
  });
});

const OLD = '/usr/bin/docker-compose';
describe("Debian's docker-compose 1.29 (Python, docker SDK 5)", {
  skip: skip || (!existsSync(OLD) && 'needs docker-compose (scripts/setup installs it)'),
}, () => {
  let d!: TestDaemon;
  useDaemon((x) => (d = x));

  test('up -d, ps, logs, exec, run --rm, down', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-compose1-'));
    try {
      write(dir, {
        'docker-compose.yml': `version: "3.8"
services:
  app:
    image: busybox
    init: true
    command: ["sh", "-c", "echo started-v1; exec sleep 100000"]
    environment: [GREETING=hi]
    networks: [inner]
  peer:
    image: busybox
    init: true
    command: ["sleep", "100000"]
    networks:
      inner:
        aliases: [buddy]
networks:
  inner:
`,
      });
      const run = (args: string[]) => {
        const r = spawnSync(OLD, ['-p', 'old', ...args], {
          cwd: dir,
          env: { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: join(d.root, 'docker-config') },
          encoding: 'utf8',
          timeout: 120_000,
        });
        assert.equal(r.status, 0, `docker-compose ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`);
        return r.stdout;
      };
      run(['up', '-d']);
      assert.match(run(['ps']), /old_app_1 .* Up/);
      await waitUntil(() => run(['logs', 'app']).includes('started-v1'), 'the log line');
      assert.equal(
        run(['exec', '-T', 'app', 'sh', '-c', 'echo $GREETING; ping -c1 -W2 buddy >/dev/null && echo reached']),
        'hi\nreached\n',
      );
      assert.match(run(['run', '--rm', 'app', 'echo', 'once']), /once/);
      run(['down']);
      const left = spawnSync('docker', ['-H', d.host, 'ps', '-aq'], { encoding: 'utf8' }).stdout.trim();
      assert.equal(left, '');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
