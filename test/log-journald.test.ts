// The journald driver against a real systemd-journald: one the test starts in a journal
// namespace of its own (nothing of the host's journal is touched), with berthd pointed at it
// by BERTH_JOURNAL_NAMESPACE. Entries carry dockerd's fields; `docker logs` reads them back
// (tail, follow). Where no journal runs, log-drivers.test.ts checks dockerd's error.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { hasDockerCli, importBusybox, isRoot, runCli, startDaemon, type TestDaemon } from './helpers/daemon.ts';
import { waitUntil } from './helpers/log-servers.ts';

const JOURNALD = '/lib/systemd/systemd-journald';
const skip = !isRoot
  ? 'needs root'
  : !hasDockerCli()
    ? 'needs the docker CLI'
    : !existsSync(JOURNALD) || !existsSync('/usr/bin/journalctl')
      ? 'needs systemd-journald and journalctl'
      : false;

describe('journald driver', { skip }, () => {
  const ns = `berthtest${process.pid}`;
  let journald: ChildProcess | undefined;
  let d!: TestDaemon;
  const docker = async (args: string[], expect = 0) => {
    const r = await runCli('docker', d, args, undefined, 60_000);
    assert.equal(r.code, expect, `docker ${args.join(' ')}: ${r.stdout}\n${r.stderr}`);
    return r;
  };
  const journal = (match: string) =>
    execFileSync('journalctl', [`--namespace=${ns}`, '--no-pager', '--all', '-o', 'json', match])
      .toString()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));

  before(async () => {
    journald = spawn(JOURNALD, [ns], { stdio: 'ignore' });
    await waitUntil(() => existsSync(`/run/systemd/journal.${ns}/socket`), 'the namespaced journald');
    d = await startDaemon({ env: { BERTH_JOURNAL_NAMESPACE: ns } });
    await importBusybox(d);
  });
  after(async () => {
    await d?.cleanup();
    if (journald?.pid) {
      const gone = new Promise((r) => journald!.once('exit', r));
      process.kill(journald.pid, 'SIGTERM');
      await gone;
    }
    rmSync(`/run/systemd/journal.${ns}`, { recursive: true, force: true });
    for (const dir of ['/var/log/journal', '/run/log/journal'])
      for (const n of existsSync(dir) ? readdirSync(dir) : [])
        if (n.endsWith(`.${ns}`)) rmSync(`${dir}/${n}`, { recursive: true, force: true });
  });

  test("entries carry dockerd's fields; docker logs reads them back", async () => {
    await docker([
      'run',
      '--name',
      'jl',
      '--label',
      'team=blue',
      '--log-opt',
      'labels=team',
      '--log-driver',
      'journald',
      'busybox',
      'sh',
      '-c',
      // Paced, so the two streams reach the journal in this order.
      'echo out; sleep 0.3; echo err >&2; sleep 0.3; head -c 20000 /dev/zero | tr "\\0" x; echo',
    ]);
    const id = (await docker(['inspect', '-f', '{{.Id}}', 'jl'])).stdout.trim();
    const entries = journal('CONTAINER_NAME=jl');
    assert.equal(entries.length, 4);
    const out = entries.find((e) => e.MESSAGE === 'out');
    assert.deepEqual(
      [
        out.CONTAINER_ID,
        out.CONTAINER_ID_FULL,
        out.CONTAINER_TAG,
        out.SYSLOG_IDENTIFIER,
        out.IMAGE_NAME,
        out.PRIORITY,
        out.TEAM,
      ],
      [id.slice(0, 12), id, id.slice(0, 12), id.slice(0, 12), 'busybox', '6', 'blue'],
    );
    assert.match(out.SYSLOG_TIMESTAMP, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.equal(entries.find((e) => e.MESSAGE === 'err').PRIORITY, '3');
    const parts = entries.filter((e) => e.CONTAINER_PARTIAL_ID);
    assert.deepEqual(
      parts.map((e) => [e.MESSAGE.length, e.CONTAINER_PARTIAL_MESSAGE ?? '', e.CONTAINER_PARTIAL_LAST]),
      [
        [16384, 'true', 'false'],
        [3616, '', 'true'],
      ],
    );
    const logs = await docker(['logs', 'jl']);
    assert.deepEqual([logs.stdout, logs.stderr], [`out\n${'x'.repeat(20000)}\n`, 'err\n']);
    assert.equal((await docker(['logs', '--tail', '1', 'jl'])).stdout, `${'x'.repeat(3616)}\n`);
    assert.equal((await docker(['inspect', '-f', '{{.HostConfig.LogConfig.Type}}', 'jl'])).stdout.trim(), 'journald');
  });

  test('docker logs -f follows a running container to its end', async () => {
    await docker([
      'run',
      '-d',
      '--name',
      'jf',
      '--log-driver',
      'journald',
      'busybox',
      'sh',
      '-c',
      'echo one; sleep 2; echo two; sleep 1; echo three',
    ]);
    const f = await docker(['logs', '-f', 'jf']);
    assert.equal(f.stdout, 'one\ntwo\nthree\n');
    const ts = await docker(['logs', '-t', '--since', '0', 'jf']);
    assert.match(ts.stdout, /^\d{4}-\d\d-\d\dT[\d:.]+Z one\n/);
  });
});
