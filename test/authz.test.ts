// Authorization of the Engine API. Berth's policy file: a client certificate's CN or a unix
// peer's uid decides which rule applies; a rule allows actions within limits checked on
// the decoded request (no --privileged, no --network host, binds only under a directory,
// exec only into one's own containers); denials are 403s naming the rule, and `authz`
// events. Docker's authorization plugin protocol: a plugin written for this test sees the
// requests and responses as dockerd sends them, and every failure denies.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { berthMain, importBusybox, isRoot, startDaemon, hasDockerCli, type TestDaemon } from './helpers/daemon.ts';
import { freePort, makePki, type Pki, serverTlsArgs } from './helpers/certs.ts';
import { tlsClient, type TlsClient } from './helpers/tls-client.ts';
import { cleanClientEnv, runProcess } from './helpers/process.ts';
import { startAuthzPlugin, type AuthzPluginServer } from './helpers/authz-plugin.ts';

const skip = isRoot ? false : 'needs root';
let scratch: string;
let pki: Pki;
let port: number;
let d: TestDaemon;
let alice: TlsClient;
let bob: TlsClient;
let allowed: string;

const policyFile = () => join(scratch, 'policy.json');
const policy = (bobLimits: Record<string, unknown>) => ({
  default: 'deny',
  rules: [
    { name: 'admins', match: { cn: ['alice'], uid: [0] }, allow: ['*'] },
    {
      name: 'builders',
      match: { cn: ['bob'], uid: [65534] },
      allow: ['container:*', 'image:read', 'system:read'],
      limits: bobLimits,
    },
  ],
});
const BOB_LIMITS = () => ({
  privileged: false,
  hostNetwork: false,
  bindMounts: [allowed],
  ownContainersOnly: ['container:exec'],
});

before(
  async () => {
    if (!isRoot) return;
    scratch = await mkdtemp(join(tmpdir(), 'berth-authz-'));
    allowed = join(scratch, 'srv');
    await mkdir(join(allowed, 'data'), { recursive: true });
    await symlink('/etc', join(allowed, 'escape'));
    pki = makePki(join(scratch, 'pki'), ['alice', 'bob', 'carol']);
    port = await freePort();
    await writeFile(policyFile(), JSON.stringify(policy(BOB_LIMITS())));
    d = await startDaemon({
      config: { 'authorization-policy': policyFile() },
      extraArgs: ['-H', `tcp://127.0.0.1:${port}`, ...serverTlsArgs(pki)],
    });
    await importBusybox(d);
    alice = tlsClient(port, pki.clients.alice);
    bob = tlsClient(port, pki.clients.bob);
  },
  { timeout: 60_000 },
);
after(async () => {
  if (d) await d.cleanup();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

const create = (c: TlsClient, hostConfig: Record<string, unknown>, cmd = ['true']) =>
  c.api('POST', '/containers/create', { body: { Image: 'busybox', Cmd: cmd, HostConfig: hostConfig } });

test('--privileged: allowed for one client certificate, denied for another (docker CLI), with an authz event', {
  skip: skip || (!hasDockerCli() && 'no docker CLI'),
}, async () => {
  const since = Math.floor(Date.now() / 1000) - 1;
  const docker = (who: string, args: string[]) =>
    runProcess('docker', args, {
      env: cleanClientEnv({
        DOCKER_HOST: `tcp://127.0.0.1:${port}`,
        DOCKER_TLS_VERIFY: '1',
        DOCKER_CERT_PATH: pki.clients[who],
        DOCKER_CONFIG: join(scratch, 'docker-config'),
      }),
    });
  const a = await docker('alice', ['run', '--rm', '--privileged', 'busybox', 'true']);
  assert.equal(a.code, 0, a.stderr);
  const b = await docker('bob', ['run', '--rm', '--privileged', 'busybox', 'true']);
  assert.notEqual(b.code, 0);
  assert.match(b.stderr, /authorization denied by policy rule "builders": --privileged is not allowed/);
  const ok = await docker('bob', ['run', '--rm', 'busybox', 'echo', 'plain']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout.trim(), 'plain');
  // The denial is an event (root on the unix socket is an admin).
  const until = Math.ceil(Date.now() / 1000) + 1;
  const ev = await d.api(
    'GET',
    `/events?since=${since}&until=${until}&filters=${encodeURIComponent('{"type":["authz"]}')}`,
  );
  const events = ev.body
    .toString()
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  const deny = events.find((e) => e.Actor.ID === 'builders');
  assert.ok(deny, ev.body.toString());
  assert.equal(deny.Action, 'deny');
  assert.equal(deny.Actor.Attributes.user, 'CN=bob');
  assert.match(deny.Actor.Attributes.reason, /--privileged/);
});

test('limits are checked on the decoded request: host network, binds, spelling', { skip }, async () => {
  const net = await create(bob, { NetworkMode: 'host' });
  assert.equal(net.status, 403);
  assert.match(net.json().message, /rule "builders": --network host is not allowed/);
  const outside = await create(bob, { Binds: ['/etc:/x:ro'] });
  assert.equal(outside.status, 403);
  assert.match(outside.json().message, /bind mount of \/etc is not allowed/);
  const mount = await create(bob, { Mounts: [{ Type: 'bind', Source: '/', Target: '/host' }] });
  assert.equal(mount.status, 403);
  // A symlink under the allowed directory that leads out of it is judged by where it leads.
  const viaLink = await create(bob, { Binds: [`${join(allowed, 'escape')}:/x`] });
  assert.equal(viaLink.status, 403);
  const inside = await create(bob, { Binds: [`${join(allowed, 'data')}:/data`] });
  assert.equal(inside.status, 201, inside.body.toString());
  // Go decodes field names case-insensitively: no spelling of Privileged slips through.
  const lower = await bob.api('POST', '/containers/create', {
    body: '{"Image":"busybox","Cmd":["true"],"HostConfig":{"privileged":true}}',
  });
  assert.equal(lower.status, 403);
  // Two spellings: the handler's decoder takes the last one (Go's rule), so does the policy.
  const both = await bob.api('POST', '/containers/create', {
    body: '{"Image":"busybox","Cmd":["true"],"HostConfig":{"Privileged":false,"privileged":true}}',
  });
  assert.equal(both.status, 403, both.body.toString());
  // Actions outside the rule: pulling images is not in bob's list.
  const pull = await bob.api('POST', '/images/create?fromImage=busybox&tag=latest');
  assert.equal(pull.status, 403);
  assert.match(pull.json().message, /image:pull is not allowed/);
  // A client no rule names gets the default.
  const carol = tlsClient(port, pki.clients.carol);
  const c = await carol.api('GET', '/containers/json');
  assert.equal(c.status, 403);
  assert.match(c.json().message, /rule "default": no rule of the policy matches/);
  assert.equal((await carol.api('GET', '/_ping')).status, 200, 'a ping is always answered');
});

test('exec only into containers the client created', { skip }, async () => {
  const mine = await create(bob, {}, ['sleep', '60']);
  assert.equal(mine.status, 201);
  const theirs = await create(alice, {}, ['sleep', '60']);
  const [m, t] = [mine.json().Id, theirs.json().Id];
  for (const id of [m, t]) assert.equal((await alice.api('POST', `/containers/${id}/start`)).status, 204);
  const own = await bob.api('POST', `/containers/${m}/exec`, { body: { Cmd: ['true'] } });
  assert.equal(own.status, 201, own.body.toString());
  // By name or short ID, the same container.
  const other = await bob.api('POST', `/containers/${t.slice(0, 12)}/exec`, { body: { Cmd: ['true'] } });
  assert.equal(other.status, 403);
  assert.match(other.json().message, /container:exec is allowed only on containers this client created/);
  // An exec instance someone else made cannot be started either.
  const aliceExec = (await alice.api('POST', `/containers/${t}/exec`, { body: { Cmd: ['true'] } })).json().Id;
  const start = await bob.api('POST', `/exec/${aliceExec}/start`, { body: { Detach: true } });
  assert.equal(start.status, 403);
  // Privileged exec is a --privileged too.
  const priv = await bob.api('POST', `/containers/${m}/exec`, { body: { Cmd: ['true'], Privileged: true } });
  assert.equal(priv.status, 403);
  for (const id of [m, t]) await alice.api('DELETE', `/containers/${id}?force=1`);
});

test('a unix socket peer is matched by its uid (SO_PEERCRED)', { skip }, async () => {
  const gid = dockerGid();
  // The test daemon's socket sits in a 0700 directory: let uid 65534 reach it.
  await chmod(d.root, 0o711);
  const asNobody = (body: unknown) =>
    runProcess(
      process.execPath,
      [
        '-e',
        `const r=require('http').request({socketPath:process.argv[1],method:'POST',path:'/containers/create',headers:{'Content-Type':'application/json'}},(res)=>{let b='';res.on('data',c=>b+=c);res.on('end',()=>console.log(res.statusCode+' '+b))});r.end(process.argv[2]);`,
        d.socket,
        JSON.stringify(body),
      ],
      { uid: 65534, gid },
    );
  const denied = await asNobody({ Image: 'busybox', HostConfig: { Privileged: true } });
  assert.match(denied.stdout, /^403 .*rule \\"builders\\": --privileged is not allowed/, denied.stdout + denied.stderr);
  const fine = await asNobody({ Image: 'busybox', Cmd: ['true'] });
  assert.match(fine.stdout, /^201 /, fine.stdout + fine.stderr);
  // Root (uid 0) is an admin on the same socket.
  const root = await d.api('POST', '/containers/create', {
    body: { Image: 'busybox', Cmd: ['true'], HostConfig: { Privileged: true } },
  });
  assert.equal(root.status, 201, root.body.toString());
  // berth CLI as that uid: the same answer, in the CLI's words.
  const cli = await runProcess(process.execPath, [berthMain, 'run', '--rm', '--privileged', 'busybox', 'true'], {
    uid: 65534,
    gid,
    env: cleanClientEnv({ BERTH_HOST: d.host, HOME: '/tmp' }),
  });
  assert.notEqual(cli.code, 0);
  assert.match(cli.stderr, /authorization denied by policy rule "builders"/);
});

function dockerGid(): number {
  try {
    return Number(execFileSync('getent', ['group', 'docker']).toString().split(':')[2]);
  } catch {
    return 0;
  }
}

test('SIGHUP reloads the policy: a rule change applies to the next request', { skip }, async () => {
  assert.equal((await create(bob, { Privileged: true })).status, 403);
  await writeFile(policyFile(), JSON.stringify(policy({ ...BOB_LIMITS(), privileged: true })));
  d.proc.kill('SIGHUP');
  await waitForLog(d, /Reloaded configuration/);
  const now = await create(bob, { Privileged: true });
  assert.equal(now.status, 201, now.body.toString());
  // A broken policy keeps the one in force.
  await writeFile(policyFile(), '{"rules": [{"name": 1}]}');
  d.proc.kill('SIGHUP');
  await waitForLog(d, /authorization did not load/);
  assert.equal((await create(bob, { Privileged: true })).status, 201);
  await writeFile(policyFile(), JSON.stringify(policy(BOB_LIMITS())));
  d.proc.kill('SIGHUP');
  await waitForLog(d, /Reloaded configuration/, 2);
  assert.equal((await create(bob, { Privileged: true })).status, 403);
});

async function waitForLog(t: TestDaemon, re: RegExp, times = 1): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if ((t.logs().match(new RegExp(re.source, 'g')) ?? []).length >= times) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no ${re} in the daemon's log:\n${t.logs().slice(-3000)}`);
}

// ---- Docker's plugin protocol ------------------------------------------------------------

test('an authorization plugin sees requests and responses as dockerd sends them; it decides', { skip }, async () => {
  const plugin = await startAuthzPlugin(`berth-test-authz-${process.pid}`);
  const pport = await freePort();
  const pd = await startDaemon({
    config: { 'authorization-plugins': [plugin.name] },
    extraArgs: ['-H', `tcp://127.0.0.1:${pport}`, ...serverTlsArgs(pki)],
  });
  try {
    await importBusybox(pd);
    await checkPlugin(pd, plugin, tlsClient(pport, pki.clients.alice));
  } finally {
    // The plugin came back: the daemon's clean-up goes through it like any client.
    const again = await startAuthzPlugin(plugin.name);
    await pd.cleanup().finally(() => again.close());
  }
});

async function checkPlugin(pd: TestDaemon, plugin: AuthzPluginServer, alicePd: TlsClient): Promise<void> {
  const body = JSON.stringify({ Image: 'busybox', Cmd: ['true'], HostConfig: { Privileged: true } });
  const denied = await alicePd.api('POST', '/containers/create', { body, headers: { 'X-Registry-Auth': 'c2VjcmV0' } });
  assert.equal(denied.status, 403);
  assert.equal(denied.json().message, `authorization denied by plugin ${plugin.name}: no privileged containers`);
  const req = plugin.requests.findLast((r) => r.kind === 'AuthZReq' && r.doc.RequestUri === '/containers/create')!;
  assert.equal(req.doc.User, 'alice');
  assert.equal(req.doc.UserAuthNMethod, 'TLS');
  assert.equal(req.doc.RequestMethod, 'POST');
  assert.equal(Buffer.from(req.doc.RequestBody, 'base64').toString(), body, 'the exact body bytes');
  assert.equal(req.doc.RequestHeaders['Content-Type'], 'application/json');
  assert.equal(req.doc.RequestHeaders['X-Registry-Auth'], undefined, 'credentials are not forwarded');
  assert.match(Buffer.from(req.doc.RequestPeerCertificates[0], 'base64').toString(), /BEGIN CERTIFICATE/);

  // Allowed: the plugin also sees the response, body included.
  const ok = await pd.api('POST', '/containers/create', { body: { Image: 'busybox', Cmd: ['true'] } });
  assert.equal(ok.status, 201);
  const res = plugin.requests.findLast((r) => r.kind === 'AuthZRes' && r.doc.RequestUri === '/containers/create')!;
  assert.equal(res.doc.ResponseStatusCode, 201);
  assert.equal(JSON.parse(Buffer.from(res.doc.ResponseBody, 'base64').toString()).Id, ok.json().Id);
  assert.equal(res.doc.User, undefined, 'no user on the unix socket (as dockerd)');

  // The response phase can refuse too.
  const list = await pd.api('GET', '/images/json');
  assert.equal(list.status, 403);
  assert.match(list.json().message, /authorization denied by plugin .*: images are secret/);

  // CVE-2024-41110: a body behind Content-Length: 0 is not a body for anyone.
  const smuggled = await raw(
    pd.socket,
    `POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 0\r\n\r\n${body}`,
  );
  assert.doesNotMatch(smuggled, /HTTP\/1\.1 201/, smuggled);
  // Chunked: the plugin sees the whole body and refuses it.
  const chunked = await raw(
    pd.socket,
    `POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
  );
  assert.match(chunked, /^HTTP\/1\.1 403/, chunked);
  // Over 4 MiB: denied, not passed through unseen.
  const big = JSON.stringify({ Image: 'busybox', Cmd: ['true'], Labels: { pad: 'x'.repeat(5 << 20) } });
  const tooBig = await pd
    .api('POST', '/containers/create', { body: big })
    .catch((e) => ({ status: 0, message: String(e) }));
  assert.notEqual(tooBig.status, 201);
  const all = (await pd.api('GET', '/containers/json?all=1&filters=' + encodeURIComponent('{"label":["pad"]}'))).json();
  assert.equal(all.length, 0, 'nothing was created');
  const privileged = (await pd.api('GET', '/containers/json?all=1')).json().filter((c: { HostConfig?: unknown }) => c);
  for (const c of privileged)
    assert.notEqual((await pd.api('GET', `/containers/${c.Id}/json`)).json().HostConfig.Privileged, true);

  // A plugin error is a denial with its message.
  const failing = await pd.api('POST', '/containers/create?name=plugin-fails', { body: { Image: 'busybox' } });
  assert.equal(failing.status, 500);
  assert.match(
    failing.json().message,
    new RegExp(`plugin ${plugin.name} failed with error: AuthZPlugin.AuthZReq: boom`),
  );
  // A plugin that went away: closed, not open.
  await plugin.close();
  const t0 = Date.now();
  const gone = await pd.api('GET', '/containers/json');
  assert.equal(gone.status, 500);
  assert.match(gone.json().message, /plugin .* failed with error/);
  assert.ok(Date.now() - t0 < 15_000);
}

function raw(socket: string, text: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(socket);
    let out = '';
    s.on('data', (b) => (out += b));
    s.on('close', () => resolve(out));
    s.on('error', () => resolve(out));
    s.write(text);
    setTimeout(() => s.end(), 2000);
  });
}
