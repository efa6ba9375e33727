// The API's edge against a real berthd: request bodies are decoded once, as dockerd's Go
// decoder reads them (its messages word for word, a 400, nothing created), field names
// match case-insensitively, and a field Berth accepts but does not enforce yet is named
// in the create's warnings (the docker CLI prints them) and shown back by inspect.
import { test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { hasDockerCli, isRoot, runCli, type TestDaemon, useDaemon } from './helpers/daemon.ts';
import { createContainer } from './helpers/containers.ts';

const skip = isRoot ? false : 'needs root (real mounts, runc, shims)';
let d: TestDaemon;

useDaemon((x) => (d = x));

const q = (v: unknown) => encodeURIComponent(JSON.stringify(v));

async function expect400(method: string, path: string, body: string, message: string): Promise<void> {
  const r = await d.api(method, path, { body });
  assert.equal(r.status, 400, `${method} ${path} ${body}: ${r.body}`);
  assert.deepEqual(r.json(), { message }, `${method} ${path} ${body}`);
}

test("wrong JSON types in request bodies: dockerd's 400 and its words, nothing made", { skip }, async () => {
  const id = await createContainer(d, { Image: 'busybox', Cmd: ['sleep', '300'] }, 'wire-target');
  assert.equal((await d.api('POST', `/containers/${id}/start`)).status, 204);
  const before = (await d.api('GET', '/containers/json?all=1')).json().length;
  const j = 'invalid JSON: json: cannot unmarshal';
  await expect400(
    'POST',
    '/containers/create',
    '{"Image":"busybox","Cmd":["true"],"HostConfig":{"Memory":"1g"}}',
    `${j} string into Go struct field HostConfig.HostConfig.Memory of type int64`,
  );
  await expect400(
    'POST',
    '/containers/create',
    '{"Image":"busybox","Cmd":["true"],"HostConfig":{"Mounts":[{"Type":"tmpfs","TmpfsOptions":{"Mode":-1}}]}}',
    `${j} number -1 into Go struct field TmpfsOptions.HostConfig.Mounts.TmpfsOptions.Mode of type fs.FileMode`,
  );
  await expect400(
    'POST',
    '/containers/create',
    '{"Image":"busybox","Cmd":["true"],"NetworkingConfig":{"EndpointsConfig":{"bridge":{"Aliases":"a"}}}}',
    `${j} string into Go struct field EndpointSettings.NetworkingConfig.EndpointsConfig.Aliases of type []string`,
  );
  assert.equal((await d.api('GET', '/containers/json?all=1')).json().length, before, 'no container was created');

  await expect400(
    'POST',
    `/containers/${id}/exec`,
    '{"Cmd":["true"],"Tty":"yes"}',
    `${j} string into Go struct field ExecOptions.Tty of type bool`,
  );
  const exec = await d.api('POST', `/containers/${id}/exec`, { body: { Cmd: ['true'] } });
  assert.equal(exec.status, 201);
  await expect400(
    'POST',
    `/exec/${exec.json().Id}/start`,
    '{"Detach":"yes"}',
    `${j} string into Go struct field ExecStartOptions.Detach of type bool`,
  );
  await expect400(
    'POST',
    '/networks/create',
    '{"Name":"wire-net","Internal":"true"}',
    `${j} string into Go struct field CreateRequest.Internal of type bool`,
  );
  assert.equal((await d.api('GET', '/networks/wire-net')).status, 404, 'no network was made');
  await expect400(
    'POST',
    '/networks/bridge/connect',
    '{"Container":5}',
    `${j} number into Go struct field ConnectOptions.Container of type string`,
  );
  await expect400(
    'POST',
    '/networks/bridge/disconnect',
    '{"Container":"wire-target","Force":"yes"}',
    `${j} string into Go struct field DisconnectOptions.Force of type bool`,
  );
  await expect400(
    'POST',
    '/auth',
    '{"username":1}',
    `${j} number into Go struct field AuthConfig.username of type string`,
  );
  await expect400(
    'POST',
    `/commit?container=${id}`,
    '{"Cmd":5}',
    `${j} number into Go struct field CreateRequest.Cmd of type string`,
  );
  const build = await d.api('POST', `/build?buildargs=${q({ A: 1 })}`, { raw: Buffer.alloc(1024) });
  assert.equal(build.status, 400);
  assert.equal(
    build.json().message,
    'error reading build args: json: cannot unmarshal number into Go value of type string',
  );
  assert.equal((await d.api('DELETE', `/containers/${id}?force=1`)).status, 204);
});

test('field names match case-insensitively, unknown fields are skipped (as dockerd)', { skip }, async () => {
  const r = await d.api('POST', '/containers/create?name=wire-case', {
    body: '{"image":"busybox","CMD":["true"],"hostconfig":{"restartpolicy":{"name":"on-failure","maximumretrycount":2}},"Bogus":1}',
  });
  assert.equal(r.status, 201, r.body.toString());
  const c = (await d.api('GET', '/containers/wire-case/json')).json();
  assert.equal(c.Config.Image, 'busybox');
  assert.deepEqual(c.Config.Cmd, ['true']);
  assert.deepEqual(c.HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 2 });
  assert.equal((await d.api('DELETE', '/containers/wire-case')).status, 204);
});

test('fields Berth does not act on are refused by name, nothing made; Annotations reach the runtime', {
  skip,
}, async () => {
  const refused: [Record<string, unknown>, RegExp][] = [
    [{ StorageOpt: { size: '1G' } }, /--storage-opt is supported only for overlay over xfs with 'pquota'/],
    [{ Cgroup: 'container:other' }, /HostConfig\.Cgroup .* is not supported/],
    [{ UsernsMode: 'private' }, /invalid UsernsMode "private"/],
    [{ Annotations: { '': 'x' } }, /annotation keys must not be empty/],
  ];
  for (const [hc, message] of refused) {
    const r = await d.api('POST', '/containers/create?name=wire-refused', {
      body: { Image: 'busybox', Cmd: ['true'], HostConfig: hc },
    });
    assert.equal(r.status, 400, JSON.stringify(hc));
    assert.match(r.json().message, message);
    assert.equal((await d.api('GET', '/containers/wire-refused/json')).status, 404);
  }
  const r = await d.api('POST', '/containers/create?name=wire-annotated', {
    body: {
      Image: 'busybox',
      Cmd: ['sleep', '60'],
      HostConfig: { Memory: 64 << 20, Annotations: { 'org.example.team': 'wire' }, UsernsMode: 'host' },
    },
  });
  assert.equal(r.status, 201, r.body.toString());
  assert.deepEqual(r.json().Warnings, []);
  const id = r.json().Id as string;
  assert.equal((await d.api('POST', `/containers/${id}/start`)).status, 204);
  // What the runtime was given, as runc itself reports it.
  const state = JSON.parse(
    execFileSync('runc', ['--root', join(d.execRoot, 'runc', 'berth'), 'state', id]).toString(),
  ) as { annotations?: Record<string, string> };
  assert.equal(state.annotations?.['org.example.team'], 'wire');
  const hc = (await d.api('GET', `/containers/${id}/json`)).json().HostConfig;
  assert.deepEqual(hc.Annotations, { 'org.example.team': 'wire' });
  assert.equal((await d.api('DELETE', `/containers/${id}?force=1`)).status, 204);
  // The defaults every client sends are no warning.
  const plain = await d.api('POST', '/containers/create?name=wire-plain', {
    body: { Image: 'busybox', Cmd: ['true'], HostConfig: { Memory: 0, MemorySwappiness: -1, PidsLimit: -1 } },
  });
  assert.deepEqual(plain.json().Warnings, []);
  assert.equal((await d.api('DELETE', '/containers/wire-plain')).status, 204);
});

test('docker CLI: no warning for a plain run; a flag Berth does not act on is refused by name', {
  skip: skip || (hasDockerCli() ? false : 'no docker CLI'),
}, async () => {
  const plain = await runCli('docker', d, ['run', '--rm', 'busybox', 'true']);
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(plain.stderr, '');
  const refused = await runCli('docker', d, ['run', '--rm', '--storage-opt', 'size=1G', 'busybox', 'true']);
  assert.equal(refused.code, 125);
  assert.match(refused.stderr, /--storage-opt is supported only for overlay over xfs/);
});
