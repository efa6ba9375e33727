// Probe finding 2: berthd SIGKILLed again and again under a concurrent workload (run -d,
// exec, stop, rm, build, network connect) must come back consistent every time: every
// runc task, shim, veth and namespace belongs to a container the API shows running, and a
// container that logs steadily loses no line across the kills.
import { test } from 'node:test';
import { readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { isRoot, type TestDaemon, useDaemon } from './helpers/daemon.ts';
import { createContainer, waitFor } from './helpers/containers.ts';
import { inconsistencies, logGaps } from './helpers/invariants.ts';
import { startWorkload } from './helpers/workload.ts';

const skip = isRoot ? false : 'needs root';
let d: TestDaemon;
useDaemon((x) => (d = x));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const KILLS = Number(process.env.BERTH_TEST_KILLS ?? 5);

test('SIGKILLs under a concurrent workload leave nothing behind and lose no log line', {
  skip,
  timeout: 600_000,
}, async () => {
  const net = (await d.api('POST', '/networks/create', { body: { Name: 'crash-net' } })).json().Id as string;
  // The witness: numbered lines, steadily, for the whole test.
  const logger = await createContainer(d, {
    Image: 'busybox',
    Cmd: ['sh', '-c', 'i=0; while true; do echo line$i; i=$((i+1)); usleep 2000; done'],
  });
  await d.api('POST', `/containers/${logger}/start`);
  const work = startWorkload(d, { network: net });

  for (let k = 0; k < KILLS; k++) {
    await sleep(1500 + Math.random() * 2500);
    await d.stop('SIGKILL');
    await sleep(200 + Math.random() * 800);
    await d.start();
  }
  await sleep(2000);
  await work.stop();

  // Quiet now: let exits be recorded and restarts settle, then compare books and kernel.
  await sleep(1500);
  let problems: string[] = [];
  await waitFor(async () => (problems = await inconsistencies(d)).length === 0, 20_000, 500).catch(() => {});
  // Every line the logger wrote is there, in order, kills or not.
  const { lines, gaps } = await logGaps(d, logger);
  assert.ok(lines > 1000, `${lines} lines`);
  assert.deepEqual({ problems, gaps }, { problems: [], gaps: [] }, `${gaps.length} gaps in ${lines} lines`);

  for (const c of (await d.api('GET', '/containers/json?all=1')).json())
    await d.api('DELETE', `/containers/${c.Id}?force=1`);
  await d.api('DELETE', `/networks/${net}`);
});

test('a network connect cut short by a SIGKILL (link made, record not saved) is undone at start-up', {
  skip,
}, async () => {
  const net = (await d.api('POST', '/networks/create', { body: { Name: 'cut-connect' } })).json().Id as string;
  const id = await createContainer(d, { Image: 'busybox', Cmd: ['sleep', '300'] });
  await d.api('POST', `/containers/${id}/start`);
  const pid = (await d.api('GET', `/containers/${id}/json`)).json().State.Pid;
  assert.equal((await d.api('POST', `/networks/${net}/connect`, { body: { Container: id } })).status, 200);
  await d.stop('SIGKILL');
  // What a kill between the link and the record's save leaves: the record without the network.
  const path = join(d.dataRoot, 'containers', id, 'config.json');
  const rec = JSON.parse(await readFile(path, 'utf8'));
  delete rec.endpointsConfig['cut-connect'];
  await writeFile(path, JSON.stringify(rec));
  await d.start();
  let problems: string[] = [];
  await waitFor(async () => (problems = await inconsistencies(d)).length === 0, 20_000, 500).catch(() => {});
  assert.deepEqual(problems, []);
  const c = (await d.api('GET', `/containers/${id}/json`)).json();
  assert.equal(c.State.Pid, pid, 'the container ran on');
  assert.deepEqual(Object.keys(c.NetworkSettings.Networks), ['bridge']);
  // Inside, only its bridge interface is left.
  const ifs = readdirSync(`/proc/${pid}/root/sys/class/net`).sort();
  assert.deepEqual(ifs, ['eth0', 'lo']);
  await d.api('DELETE', `/containers/${id}?force=1`);
  await d.api('DELETE', `/networks/${net}`);
});
