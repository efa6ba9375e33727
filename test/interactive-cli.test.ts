// The non-terminal side of the interactive commands with both CLIs against berthd: run -i,
// -a, --sig-proxy, exec, pause/unpause, top, stats --no-stream, events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { berthMain, hasDockerCli, isRoot, runCli, type TestDaemon, useDaemon } from './helpers/daemon.ts';
import { waitFor } from './helpers/containers.ts';

const skip = isRoot ? false : 'needs root (real mounts, runc, shims)';
let d: TestDaemon;

useDaemon((x) => (d = x));

for (const cli of ['berth', 'docker'] as const) {
  const s = skip || (cli === 'docker' && !hasDockerCli() ? 'docker CLI not installed' : false);
  const run = (args: string[], input?: string) => runCli(cli, d, args, input);

  test(`${cli}: run -i pipes stdin; -a picks streams; exit codes`, { skip: s }, async () => {
    const r = await run(['run', '-i', '--rm', 'busybox', 'cat'], 'hi\nthere\n');
    assert.equal(r.stdout, 'hi\nthere\n');
    assert.equal(r.code, 0);
    const a = await run(['run', '--rm', '-a', 'stderr', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(a.stdout, '');
    assert.equal(a.stderr, 'err\n');
    assert.equal(a.code, 3);
  });

  test(`${cli}: exec with -u -w -e, stdin, exit codes, detach; pause, unpause, top`, { skip: s }, async () => {
    const name = `cli-${cli}`;
    assert.equal((await run(['run', '-d', '--name', name, 'busybox', 'sleep', '300'])).code, 0);
    const e = await run(['exec', '-u', 'nobody', '-w', '/tmp', '-e', 'A=1', name, 'sh', '-c', 'id -u; pwd; echo A=$A']);
    assert.equal(e.stdout, '65534\n/tmp\nA=1\n');
    assert.equal((await run(['exec', name, 'sh', '-c', 'exit 5'])).code, 5);
    assert.equal((await run(['exec', '-i', name, 'cat'], 'through exec\n')).stdout, 'through exec\n');
    const missing = await run(['exec', name, 'no-such-cmd']);
    assert.equal(missing.code, 127);
    assert.match(missing.stdout + missing.stderr, /executable file not found/);
    assert.equal((await run(['exec', '-d', name, 'sh', '-c', 'echo bg > /tmp/bg'])).code, 0);
    await waitFor(async () => (await run(['exec', name, 'cat', '/tmp/bg'])).stdout === 'bg\n');

    assert.equal((await run(['pause', name])).stdout, `${name}\n`);
    assert.match((await run(['ps', '--format', '{{.Status}}', '--filter', `name=${name}`])).stdout, /\(Paused\)/);
    const ex = await run(['exec', name, 'true']);
    assert.notEqual(ex.code, 0);
    assert.match(ex.stderr, /is paused, unpause the container before exec/);
    assert.equal((await run(['unpause', name])).stdout, `${name}\n`);
    assert.match((await run(['unpause', name])).stderr, /is not paused/);

    const top = await run(['top', name]);
    const lines = top.stdout.trim().split('\n');
    assert.match(lines[0], /^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/);
    assert.ok(lines.some((l) => /sleep 300$/.test(l)));
    assert.match((await run(['top', name, 'aux'])).stdout.split('\n')[0], /^USER\s+PID\s+%CPU/);

    const stats = await run(['stats', '--no-stream', name]);
    const [head, row] = stats.stdout.trim().split('\n');
    assert.match(head, /^CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS$/);
    assert.match(
      row,
      new RegExp(`^[0-9a-f]{12}\\s+${name}\\s+\\d+\\.\\d\\d%\\s+[\\d.]+[KMG]?i?B / [\\d.]+[KMG]i?B\\s+\\d+\\.\\d\\d%`),
    );
    const fmt = await run(['stats', '--no-stream', '--format', '{{.Name}} {{.PIDs}}', name]);
    assert.equal(fmt.stdout, `${name} 1\n`);
    await run(['rm', '-f', name]);
  });

  test(`${cli}: events with --since/--until, --filter and --format`, { skip: s }, async () => {
    const name = `ev-${cli}`;
    const since = `${Math.floor(Date.now() / 1000) - 1}`;
    assert.equal((await run(['run', '--name', name, '--label', 'k=v', 'busybox', 'true'])).code, 0);
    await new Promise((r) => setTimeout(r, 1100));
    const until = `${Math.floor(Date.now() / 1000)}`;
    const all = await run(['events', '--since', since, '--until', until, '--filter', `container=${name}`]);
    const actions = all.stdout
      .trim()
      .split('\n')
      .map((l) => l.split(' ')[2]);
    for (const a of ['create', 'attach', 'start', 'die']) assert.ok(actions.includes(a), `${a} in ${actions}`);
    assert.match(
      all.stdout,
      new RegExp(
        `^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z container create [0-9a-f]{64} \\(image=busybox, k=v, name=${name}\\)$`,
        'm',
      ),
    );
    const f = await run([
      'events',
      '--since',
      since,
      '--until',
      until,
      '--filter',
      `container=${name}`,
      '--filter',
      'event=die',
      '--format',
      '{{.Action}} {{.Actor.Attributes.exitCode}}',
    ]);
    assert.equal(f.stdout, 'die 0\n');
    const j = await run([
      'events',
      '--since',
      since,
      '--until',
      until,
      '--filter',
      'label=k=v',
      '--filter',
      'event=start',
      '--format',
      '{{json .}}',
    ]);
    assert.equal(JSON.parse(j.stdout).Actor.Attributes.name, name);
    await run(['rm', '-f', name]);
  });

  test(`${cli}: --sig-proxy forwards a signal to a non-TTY run`, { skip: s }, async () => {
    const bin = cli === 'berth' ? process.execPath : 'docker';
    const args = [
      ...(cli === 'berth' ? [berthMain] : []),
      'run',
      '--rm',
      'busybox',
      'sh',
      '-c',
      'trap "echo got-term; exit 7" TERM; echo ready; while true; do sleep 0.1; done',
    ];
    const child = spawn(bin, args, {
      env: { ...process.env, DOCKER_HOST: d.host, BERTH_HOST: d.host, DOCKER_CONFIG: join(d.root, 'docker-config') },
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    await waitFor(async () => out.includes('ready'));
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => child.on('close', r));
    assert.match(out, /got-term/);
    assert.equal(code, 7);
  });
}
