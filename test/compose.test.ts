// Docker Compose v5 (the docker CLI plugin scripts/setup builds from the Go module proxy)
// against berthd, end to end on a realistic project: a service built from a Dockerfile, a web
// service with published ports, two networks with aliases, environment and env_file,
// restart policies, secrets and configs from files, profiles, depends_on with
// service_completed_successfully, and up -d --wait, ps, logs -f, exec, run --rm, up --scale,
// restart, stop, watch, down -v --rmi local, and a database keeping its rows in a named volume.
// The database has a healthcheck the api waits for (`condition: service_healthy`), and the
// api's deploy.resources limits and reservation are read from inside its own cgroup. A second project holds volumes of every kind
// Compose writes (top-level named, external, driver_opts; per service short and long syntax)
// and checks what `down` keeps and `down -v` removes. Builds use the classic builder (DOCKER_BUILDKIT=0, as
// without buildx); BuildKit-only build features are refused by Compose, which is checked too.
// `berth compose` runs the same plugin; Debian's docker-compose 1.29 keeps working.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasDockerCli, isRoot, runCli, type TestDaemon, useDaemon } from './helpers/daemon.ts';
import { composePlugin, linkCompose } from './helpers/compose.ts';
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

/** The project. */
function composeFile(): string {
  const db = `
  db:
    image: busybox
    init: true
    command: ["sh", "-c", "sleep 2; echo rows > /data/table; exec sleep 100000"]
    volumes: [dbdata:/data]
    healthcheck:
      test: ["CMD", "test", "-f", "/data/table"]
      interval: 1s
      retries: 30
    networks: [backend]`;
  const apiDepends = `
      migrate:
        condition: service_completed_successfully
      db:
        condition: service_healthy`;
  const limits = `
    deploy:
      resources:
        limits:
          memory: 64M
          cpus: "0.5"
          pids: 64
        reservations:
          memory: 32M`;
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
volumes:
  dbdata:
`;
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
  useDaemon((x) => (d = x));
  const children: ChildProcess[] = [];
  before(async () => {
    linkCompose(d);
    dir = mkdtempSync(join(tmpdir(), 'berth-compose-'));
    write(dir, { ...FILES, 'compose.yaml': composeFile() });
  });
  after(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

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

  test('up -d --wait: built images, depends_on order and health, ports, networks with aliases, env, secrets, configs, resource limits', async () => {
    await compose(['up', '-d', '--wait']);
    const all = await ps(true);
    const state = Object.fromEntries(all.map((c) => [c.Service, c]));
    assert.deepEqual(Object.keys(state).sort(), ['api', 'db', 'migrate', 'web'].sort());
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
    assert.equal((await compose(['exec', '-T', 'db', 'cat', '/data/table'])).stdout, 'rows\n');
    // service_healthy: db's healthcheck passed before api started (db needs 2 s to get there).
    const db = JSON.parse(await docker(['inspect', '-f', '{{json .State.Health}}', 'shop-db-1']));
    assert.equal(db.Status, 'healthy');
    const firstHealthy = db.Log.find((l: { ExitCode: number }) => l.ExitCode === 0);
    assert.ok(Date.parse(apiStarted) >= Date.parse(firstHealthy.End), `${apiStarted} >= ${firstHealthy.End}`);
    assert.match(await docker(['ps', '--filter', 'name=shop-db-1', '--format', '{{.Status}}']), /\(healthy\)/);
    // deploy.resources, from the api's own cgroup (v1 or v2 files, whichever the host has).
    const cg = (
      await compose([
        'exec',
        '-T',
        'api',
        'sh',
        '-c',
        'cd /sys/fs/cgroup; for f in memory.max memory/memory.limit_in_bytes cpu.max cpu/cpu.cfs_quota_us pids.max pids/pids.max memory.low memory/memory.soft_limit_in_bytes; do [ -f $f ] && echo "$f=$(cat $f)"; done; true',
      ])
    ).stdout;
    assert.match(cg, /^(memory\.max|memory\/memory\.limit_in_bytes)=67108864$/m, cg);
    assert.match(cg, /^(cpu\.max=50000 100000|cpu\/cpu\.cfs_quota_us=50000)$/m, cg);
    assert.match(cg, /^(pids\.max|pids\/pids\.max)=64$/m, cg);
    assert.match(cg, /^(memory\.low|memory\/memory\.soft_limit_in_bytes)=33554432$/m, cg);
    const logs = await compose(['logs', '--no-log-prefix', 'api']);
    assert.match(logs.stdout, /api version 1\.2 mode=production flavor=vanilla key=s3cr3t conf=conf-v1/);
  });

  test('logs -f follows across restart; the restart policy brings a crashed service back', async () => {
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

  test('run --rm, up --scale web=3, profiles', async () => {
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

  test('watch syncs a changed file into the running service', async () => {
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

  test('restart, stop, down -v --rmi local', async () => {
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

  test('berth compose runs the same plugin against berthd', async () => {
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

  test('volumes of every kind: top-level named, external and driver_opts; short and long syntax; down keeps data, down -v removes it', async () => {
    write(dir, {
      'vols/compose.yaml': `name: vols
services:
  writer:
    image: busybox
    init: true
    command: ["sh", "-c", "echo run >> /data/runs; cp /seed/conf /data/conf; cat /kept/f > /data/ext; exec sleep 100000"]
    volumes:
      - data:/data
      - ./seed:/seed:ro
      - /cache
      - kept:/kept
  reader:
    image: busybox
    init: true
    command: ["sleep", "100000"]
    depends_on: [writer]
    volumes:
      - type: volume
        source: data
        target: /mnt/data
        read_only: true
        volume:
          nocopy: true
      - type: volume
        source: scratch
        target: /scratch
      - type: bind
        source: ./made-by-compose
        target: /made
        bind:
          create_host_path: true
      - type: tmpfs
        target: /tmp/fast
        tmpfs:
          size: 65536
volumes:
  data:
    labels:
      tier: db
  scratch:
    driver: local
    driver_opts:
      type: tmpfs
      device: tmpfs
      o: size=1m
  kept:
    external: true
    name: vols-external
`,
      'vols/seed/conf': 'seed-conf\n',
    });
    const vc = (args: string[], expect: number | null = 0) =>
      compose(['-f', join(dir, 'vols/compose.yaml'), ...args], expect);
    const volumes = async () => (await docker(['volume', 'ls', '-q'])).split('\n').filter(Boolean).sort();
    const exec = async (svc: string, cmd: string, expect: number | null = 0) =>
      (await vc(['exec', '-T', svc, 'sh', '-c', cmd], expect)).stdout;
    const anonymousOf = async (container: string) => {
      const mounts = JSON.parse(await docker(['inspect', '-f', '{{json .Mounts}}', container]));
      const m = mounts.find((x: { Destination: string }) => x.Destination === '/cache');
      assert.equal(m.Type, 'volume');
      assert.match(m.Name, /^[0-9a-f]{64}$/);
      return m.Name as string;
    };

    // An external volume must exist before up; compose never removes it.
    await docker(['volume', 'create', 'vols-external']);
    await docker(['run', '--rm', '-v', 'vols-external:/k', 'busybox', 'sh', '-c', 'echo ext > /k/f']);
    await vc(['up', '-d', '--wait']);

    // Compose made the two project volumes, labelled, with the driver options given.
    const project = (await docker(['volume', 'ls', '-q', '--filter', 'label=com.docker.compose.project=vols']))
      .split('\n')
      .filter(Boolean)
      .sort();
    assert.deepEqual(project, ['vols_data', 'vols_scratch']);
    const data = JSON.parse(await docker(['volume', 'inspect', 'vols_data']))[0];
    assert.equal(data.Labels['com.docker.compose.volume'], 'data');
    assert.equal(data.Labels.tier, 'db');
    const scratch = JSON.parse(await docker(['volume', 'inspect', 'vols_scratch']))[0];
    assert.deepEqual(scratch.Options, { device: 'tmpfs', o: 'size=1m', type: 'tmpfs' });

    // The short syntax: named, read-only bind relative to the project, anonymous, external.
    const writerMounts = JSON.parse(await docker(['inspect', '-f', '{{json .Mounts}}', 'vols-writer-1']));
    const at = (dest: string) => writerMounts.find((m: { Destination: string }) => m.Destination === dest);
    assert.equal(at('/data').Name, 'vols_data');
    assert.equal(at('/seed').Type, 'bind');
    assert.equal(at('/seed').Source, join(dir, 'vols/seed'));
    assert.equal(at('/seed').RW, false);
    assert.equal(at('/kept').Name, 'vols-external');
    const firstAnonymous = await anonymousOf('vols-writer-1');

    // The long syntax, seen from inside the reader: the writer's data through the same volume,
    // read-only; the local tmpfs volume and the tmpfs mount with their sizes; the bind source
    // compose created.
    let seen = '';
    for (let i = 0; i < 100 && !seen.includes('ext'); i++) {
      seen = await exec('reader', 'cat /mnt/data/runs /mnt/data/conf /mnt/data/ext 2>/dev/null', null);
      if (!seen.includes('ext')) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(seen, 'run\nseed-conf\next\n');
    assert.notEqual((await vc(['exec', '-T', 'reader', 'touch', '/mnt/data/x'], null)).code, 0, 'read-only');
    const fs = (await exec('reader', 'grep -E " /(scratch|tmp/fast) " /proc/mounts; df -k /scratch /tmp/fast'))
      .trim()
      .split('\n');
    assert.match(fs[0], /^tmpfs \/scratch tmpfs rw,.*size=1024k/);
    assert.match(fs[1], /^tmpfs \/tmp\/fast tmpfs rw,.*size=64k/);
    assert.match(fs[3], /^tmpfs\s+1024\s/);
    assert.match(fs[4], /^tmpfs\s+64\s/);
    assert.ok(existsSync(join(dir, 'vols/made-by-compose')), 'create_host_path made the bind source');

    // down keeps every volume (named and anonymous) and their data.
    await vc(['down']);
    assert.equal((await docker(['ps', '-aq'])).trim(), '');
    const afterDown = await volumes();
    for (const v of ['vols_data', 'vols_scratch', 'vols-external', firstAnonymous])
      assert.ok(afterDown.includes(v), `${v} outlives down`);
    assert.equal(
      await docker(['run', '--rm', '-v', 'vols_data:/d', 'busybox', 'cat', '/d/runs', '/d/conf']),
      'run\nseed-conf\n',
    );

    // A second up finds the data there; down -v removes the project's volumes and the
    // anonymous volume of its containers, never the external one.
    await vc(['up', '-d', '--wait']);
    assert.equal(await exec('writer', 'cat /data/runs'), 'run\nrun\n');
    const secondAnonymous = await anonymousOf('vols-writer-1');
    assert.notEqual(secondAnonymous, firstAnonymous);
    await vc(['down', '-v']);
    const afterDownV = await volumes();
    for (const v of ['vols_data', 'vols_scratch', secondAnonymous])
      assert.ok(!afterDownV.includes(v), `${v} removed by down -v`);
    assert.ok(afterDownV.includes('vols-external'), 'the external volume is kept');
    assert.equal(await docker(['run', '--rm', '-v', 'vols-external:/k', 'busybox', 'cat', '/k/f']), 'ext\n');
    await docker(['volume', 'rm', 'vols-external', firstAnonymous]);
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
