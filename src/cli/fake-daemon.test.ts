// End-to-end `berth run` against an in-test fake daemon on a unix socket.

import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { startFakeDaemon, type FakeDaemon } from './testing/fake-daemon.ts';
import { runCli, type RunIO } from './runner.ts';
import type { Stdin } from './command.ts';

let d: FakeDaemon;
before(async () => {
  d = await startFakeDaemon();
});
after(async () => {
  await d.close();
});

function capture(stdinData?: string): RunIO & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  const stdin = new PassThrough() as unknown as Stdin;
  if (stdinData !== undefined) (stdin as unknown as PassThrough).end(stdinData);
  return {
    io: {
      out: (s) => void (out += s.toString()),
      err: (s) => void (err += s.toString()),
      stdoutIsTTY: false,
      ttySize: () => undefined,
    },
    stdin,
    env: {},
    stdout: () => out,
    stderr: () => err,
  };
}

test('run prints the output and exits with the container status', async () => {
  d.script = {
    output: [
      [1, 'hello\n'],
      [2, 'oops\n'],
    ],
    exitCode: 3,
  };
  const io = capture();
  const code = await runCli(['-H', d.host, 'run', '--rm', 'busybox', 'sh', '-c', 'echo hello; exit 3'], io);
  assert.equal(code, 3);
  assert.equal(io.stdout(), 'hello\n');
  assert.equal(io.stderr(), 'oops\n');
  // order: create, attach (before start), wait (before start), start
  const seq = d.requests.map((r) => `${r.method} ${r.url.replace(/\?.*/, '').replace(/[0-9a-f]{64}/, 'ID')}`);
  const at = seq.indexOf('POST /v1.47/containers/create');
  assert.deepEqual(seq.slice(at, at + 4), [
    'POST /v1.47/containers/create',
    'POST /v1.47/containers/ID/attach',
    'POST /v1.47/containers/ID/wait',
    'POST /v1.47/containers/ID/start',
  ]);
  const wait = d.requests.find((r) => r.url.includes('/wait'))!;
  assert.match(wait.url, /condition=removed/);
  const attach = d.requests.find((r) => r.url.includes('/attach'))!;
  assert.match(attach.url, /stream=1/);
  assert.match(attach.url, /stdout=1/);
  assert.match(attach.url, /stderr=1/);
  const create = JSON.parse(d.requests.find((r) => r.url.includes('/containers/create'))!.body);
  assert.deepEqual(create.Cmd, ['sh', '-c', 'echo hello; exit 3']);
  assert.equal(create.HostConfig.AutoRemove, true);
});

test('run -d prints the full ID and does not attach', async () => {
  d.requests.length = 0;
  const io = capture();
  const code = await runCli(['-H', d.host, 'run', '-d', '--name', 'web', 'busybox', 'sleep', '9'], io);
  assert.equal(code, 0);
  assert.match(io.stdout(), /^[0-9a-f]{64}\n$/);
  assert.ok(!d.requests.some((r) => r.url.includes('/attach')));
  assert.ok(d.requests.some((r) => r.url.includes('/containers/create?name=web')));
});

test('run -i forwards stdin and half-closes it', async () => {
  d.script = { echoStdin: true, exitCode: 0 };
  const io = capture('line one\nline two\n');
  const code = await runCli(['-H', d.host, 'run', '-i', 'busybox', 'cat'], io);
  assert.equal(code, 0);
  assert.equal(io.stdout(), 'line one\nline two\n');
  const attach = d.requests.filter((r) => r.url.includes('/attach')).at(-1)!;
  assert.match(attach.url, /stdin=1/);
});

test('run with a TTY copies raw bytes', async () => {
  d.script = { output: [[1, 'raw\r\n']], exitCode: 0 };
  const io = capture();
  const code = await runCli(['-H', d.host, 'run', '-t', 'busybox'], io);
  assert.equal(code, 0);
  assert.equal(io.stdout(), 'raw\r\n');
});

test('run: missing image says so and exits 125', async () => {
  const io = capture();
  const code = await runCli(['-H', d.host, 'run', 'missing'], io);
  assert.equal(code, 125);
  // Not local, so run pulls it; the pull's error is what the user sees (as docker does).
  assert.equal(
    io.stderr(),
    "Unable to find image 'missing:latest' locally\nberth: Error response from daemon: pull access denied for missing, repository does not exist or may require 'docker login'.\nSee 'berth run --help'.\n",
  );
});

test('run: a start failure for a missing executable exits 127', async () => {
  d.script = { exitCode: 0 };
  const io = capture();
  const code = await runCli(['-H', d.host, 'run', 'busybox', 'nonexistent'], io);
  assert.equal(code, 127);
  assert.match(
    io.stderr(),
    /^berth: Error response from daemon: failed to create task: exec: "nonexistent": executable file not found in \$PATH\.\n$/,
  );
});

test('inspect: container template, and a missing object', async () => {
  d.script = { output: [], exitCode: 0 };
  const io0 = capture();
  await runCli(['-H', d.host, 'create', '--name', 'insp', '-e', 'A=1', '-l', 'a=b', 'busybox'], io0);
  const io = capture();
  assert.equal(
    await runCli(
      [
        '-H',
        d.host,
        'inspect',
        '-f',
        '{{.Name}} {{json .Config.Env}} {{index .Config.Labels "a"}} {{.State.Pid}}',
        'insp',
      ],
      io,
    ),
    0,
  );
  assert.equal(io.stdout(), '/insp ["A=1"] b 0\n');
  const io2 = capture();
  assert.equal(await runCli(['-H', d.host, 'inspect', 'nothing'], io2), 1);
  assert.equal(io2.stdout(), '[]\n');
  assert.equal(io2.stderr(), 'Error: No such object: nothing\n');
});

test('rm reports daemon errors and exits 1', async () => {
  const io = capture();
  assert.equal(await runCli(['-H', d.host, 'rm', 'insp', 'ghost'], io), 1);
  assert.equal(io.stdout(), 'insp\n');
  assert.equal(io.stderr(), 'Error response from daemon: No such container: ghost\n');
});

test('the real entry point exits with the container status', async () => {
  d.script = { output: [[1, 'from main\n']], exitCode: 7 };
  // Run from source (type stripping) or from the compiled dist/ tree alike.
  const main = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './main.ts' : './main.js', import.meta.url));
  const child = spawn(process.execPath, [main, 'run', '--rm', 'busybox'], {
    env: { ...process.env, BERTH_HOST: d.host },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  assert.equal(out, 'from main\n');
  assert.equal(code, 7);
});
