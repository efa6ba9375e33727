// The swarm-era endpoints and /plugins through the docker CLI and the raw API: dockerd's
// answers when it is in no swarm and has no plugins (503s in its words, empty lists).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasDockerCli, isRoot, runCli, type TestDaemon, useDaemon } from './helpers/daemon.ts';

const skip = isRoot ? false : 'needs root';
let d: TestDaemon;
useDaemon((x) => (d = x), { busybox: false });

const NOT_MANAGER =
  'This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again.';

test('every swarm endpoint answers 503 "not a swarm manager"; leave "not part of a swarm"', { skip }, async () => {
  const paths: [string, string][] = [
    ['GET', '/swarm'],
    ['POST', '/swarm/update?version=1'],
    ['GET', '/swarm/unlockkey'],
    ['POST', '/swarm/unlock'],
    ['GET', '/nodes'],
    ['GET', '/nodes/n1'],
    ['DELETE', '/nodes/n1'],
    ['POST', '/nodes/n1/update?version=1'],
    ['GET', '/services'],
    ['POST', '/services/create'],
    ['GET', '/services/s1'],
    ['DELETE', '/services/s1'],
    ['POST', '/services/s1/update?version=1'],
    ['GET', '/services/s1/logs?stdout=1'],
    ['GET', '/tasks'],
    ['GET', '/tasks/t1'],
    ['GET', '/tasks/t1/logs?stderr=1'],
    ['GET', '/secrets'],
    ['POST', '/secrets/create'],
    ['GET', '/secrets/x'],
    ['DELETE', '/secrets/x'],
    ['POST', '/secrets/x/update?version=1'],
    ['GET', '/configs'],
    ['POST', '/configs/create'],
    ['GET', '/configs/x'],
    ['DELETE', '/configs/x'],
    ['POST', '/configs/x/update?version=1'],
  ];
  for (const [m, p] of paths) {
    const r = await d.api(m, `/v1.47${p}`, m === 'POST' ? { body: {} } : {});
    assert.equal(r.status, 503, `${m} ${p}`);
    assert.equal(r.json().message, NOT_MANAGER, `${m} ${p}`);
  }
  const leave = await d.api('POST', '/swarm/leave?force=1');
  assert.deepEqual([leave.status, leave.json().message], [503, 'This node is not part of a swarm']);
  const logs = await d.api('GET', '/services/s1/logs');
  assert.deepEqual([logs.status, logs.json().message], [400, 'Bad parameters: you must choose at least one stream']);
  const init = await d.api('POST', '/swarm/init', { body: { ListenAddr: '0.0.0.0:2377' } });
  assert.equal(init.status, 501);
  assert.match(init.json().message, /swarm mode is not supported by Berth/);
});

test('plugins: an empty list, filters checked, a named plugin is not found', { skip }, async () => {
  assert.deepEqual((await d.api('GET', '/plugins')).json(), []);
  const f = (v: object) => `/plugins?filters=${encodeURIComponent(JSON.stringify(v))}`;
  assert.deepEqual((await d.api('GET', f({ enabled: ['true'], capability: ['volumedriver'] }))).json(), []);
  const bad = await d.api('GET', f({ nope: ['x'] }));
  assert.deepEqual([bad.status, bad.json().message], [400, "Invalid filter 'nope'"]);
  for (const [m, p] of [
    ['GET', '/plugins/vieux/sshfs:latest/json'],
    ['DELETE', '/plugins/x'],
    ['POST', '/plugins/x/enable'],
    ['POST', '/plugins/x/disable'],
  ]) {
    const r = await d.api(m, p);
    assert.equal(r.status, 404, `${m} ${p}`);
    assert.match(r.json().message, /^plugin ".*" not found$/);
  }
  const pull = await d.api('POST', '/plugins/pull?remote=vieux/sshfs', { body: [] });
  assert.equal(pull.status, 501);
});

test('docker CLI: node/service/secret/config ls, swarm leave, plugin ls, info', {
  skip: skip || (!hasDockerCli() && 'no docker CLI'),
}, async () => {
  for (const args of [
    ['node', 'ls'],
    ['service', 'ls'],
    ['secret', 'ls'],
    ['config', 'ls'],
    ['stack', 'ls'],
  ]) {
    const r = await runCli('docker', d, args);
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.stderr, /This node is not a swarm manager/, args.join(' '));
  }
  const leave = await runCli('docker', d, ['swarm', 'leave']);
  assert.match(leave.stderr, /This node is not part of a swarm/);
  const plugins = await runCli('docker', d, ['plugin', 'ls', '--format', '{{.Name}}']);
  assert.deepEqual([plugins.code, plugins.stdout], [0, '']);
  const info = await runCli('docker', d, ['info', '--format', '{{.Swarm.LocalNodeState}}']);
  assert.equal(info.stdout.trim(), 'inactive');
});
