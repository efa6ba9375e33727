// What an adversarial probe of berthd found (issue 14), each reproduced here: a container
// that floods its own /etc/hosts or holds hundreds of TCP connections to the embedded DNS
// server; request bodies that never end; a lookup string that starts with a full ID.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { isRoot, type TestDaemon, useDaemon } from './helpers/daemon.ts';
import { createContainer, waitFor } from './helpers/containers.ts';

const skip = isRoot ? false : 'needs root';
let d: TestDaemon;
// Short body bounds so the test does not wait a minute for each.
useDaemon((x) => (d = x), { env: { BERTHD_BODY_TIMEOUTS: '1500,1500' } });

const fds = () => readdirSync(`/proc/${d.proc.pid}/fd`).length;
const peakRssMb = () => Number(/VmHWM:\s*(\d+)/.exec(readFileSync(`/proc/${d.proc.pid}/status`, 'utf8'))![1]) / 1024;
const exec = async (id: string, cmd: string[]) => {
  const e = (await d.api('POST', `/containers/${id}/exec`, { body: { Cmd: cmd } })).json().Id;
  await d.api('POST', `/exec/${e}/start`, { body: { Detach: false } });
  return (await d.api('GET', `/exec/${e}/json`)).json().ExitCode as number;
};

async function network(name: string): Promise<{ id: string; gateway: string }> {
  const r = await d.api('POST', '/networks/create', { body: { Name: name } });
  assert.equal(r.status, 201, r.body.toString());
  const n = (await d.api('GET', `/networks/${name}`)).json();
  return { id: n.Id, gateway: n.IPAM.Config[0].Gateway };
}

test('finding 1: a container that fills its /etc/hosts cannot kill berthd at network connect/disconnect', {
  skip,
}, async () => {
  const a = await network('probe-hosts-a');
  const b = await network('probe-hosts-b');
  const id = await createContainer(d, { Image: 'busybox', Cmd: ['sleep', '300'], HostConfig: { NetworkMode: a.id } });
  await d.api('POST', `/containers/${id}/start`);
  // 150 MB of empty lines: split into lines, that is more array elements than V8 allows.
  assert.equal(await exec(id, ['sh', '-c', 'yes "" | head -c 150000000 > /etc/hosts']), 0);
  assert.equal(statSync(`${d.dataRoot}/containers/${id}/hosts`).size, 150_000_000);
  const before = peakRssMb();
  const conn = await d.api('POST', `/networks/${b.id}/connect`, { body: { Container: id } });
  assert.equal(conn.status, 200, conn.body.toString());
  assert.equal((await d.api('GET', '/_ping')).status, 200, 'berthd is alive');
  const disc = await d.api('POST', `/networks/${b.id}/disconnect`, { body: { Container: id } });
  assert.equal(disc.status, 200, disc.body.toString());
  assert.equal((await d.api('GET', '/_ping')).status, 200);
  assert.ok(peakRssMb() - before < 100, `berthd read the file: peak RSS ${before} → ${peakRssMb()} MB`);
  assert.match(d.logs(), /hosts file is larger than/);
  // With an ordinary file the edit happens as before.
  assert.equal(await exec(id, ['sh', '-c', 'printf "127.0.0.1\\tlocalhost\\n" > /etc/hosts']), 0);
  await d.api('POST', `/networks/${b.id}/connect`, { body: { Container: id } });
  const ip = (await d.api('GET', `/containers/${id}/json`)).json().NetworkSettings.Networks['probe-hosts-b'].IPAddress;
  assert.match(
    readFileSync(`${d.dataRoot}/containers/${id}/hosts`, 'utf8'),
    new RegExp(`^${ip.replace(/\./g, '\\.')}\\t`, 'm'),
  );
  await d.api('DELETE', `/containers/${id}?force=1`);
  for (const n of [a, b]) await d.api('DELETE', `/networks/${n.id}`);
});

test('finding 1: a container that fills its /etc/resolv.conf cannot hang berthd or make it read the file whole at connect', {
  skip,
}, async () => {
  const net = await network('probe-resolv');
  // On the default bridge: connecting it to a user network points its resolv.conf at our DNS.
  const id = await createContainer(d, { Image: 'busybox', Cmd: ['sleep', '300'] });
  await d.api('POST', `/containers/${id}/start`);
  assert.equal(await exec(id, ['sh', '-c', 'yes "" | head -c 150000000 > /etc/resolv.conf']), 0);
  assert.equal(statSync(`${d.dataRoot}/containers/${id}/resolv.conf`).size, 150_000_000);
  const before = peakRssMb();
  const conn = await d.api('POST', `/networks/${net.id}/connect`, { body: { Container: id } });
  assert.equal(conn.status, 200, conn.body.toString());
  assert.equal((await d.api('GET', '/_ping')).status, 200, 'berthd is alive');
  assert.ok(peakRssMb() - before < 100, `berthd read the file: peak RSS ${before} → ${peakRssMb()} MB`);
  // No nameserver of ours in its head: rewritten to point at our DNS server.
  assert.match(
    readFileSync(`${d.dataRoot}/containers/${id}/resolv.conf`, 'utf8'),
    new RegExp(`^nameserver ${net.gateway.replace(/\./g, '\\.')}$`, 'm'),
  );
  await d.api('DELETE', `/containers/${id}?force=1`);
  await d.api('DELETE', `/networks/${net.id}`);
});

test('finding 1: TCP connections to the embedded DNS server are bounded per container', { skip }, async () => {
  const net = await network('probe-dns');
  const target = await createContainer(
    d,
    { Image: 'busybox', Cmd: ['sleep', '300'], Hostname: 'target' },
    'probe-dns-target',
  );
  const flood = await createContainer(d, {
    Image: 'busybox',
    Cmd: ['sh', '-c', `for i in $(seq 400); do (sleep 120 | nc ${net.gateway} 53 >/dev/null 2>&1) & done; sleep 120`],
  });
  for (const id of [target, flood]) {
    await d.api('POST', `/networks/${net.id}/connect`, { body: { Container: id } });
    await d.api('POST', `/containers/${id}/start`);
  }
  const base = fds();
  // The flood opens its connections; berthd's descriptors stay near where they were.
  await new Promise((r) => setTimeout(r, 4000));
  const during = fds();
  assert.ok(during - base < 100, `berthd holds ${during - base} more fds (${base} → ${during})`);
  // Others are still answered over TCP meanwhile.
  const answer = await tcpQuery(net.gateway, 'probe-dns-target');
  assert.equal(answer.rcode, 0);
  assert.ok(answer.answers >= 1, 'an A record for the other container');
  for (const id of [target, flood]) await d.api('DELETE', `/containers/${id}?force=1`);
  await d.api('DELETE', `/networks/${net.id}`);
});

/** One A query over DNS-over-TCP; its rcode and answer count. */
function tcpQuery(server: string, name: string): Promise<{ rcode: number; answers: number }> {
  const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  const q = Buffer.concat([
    Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]),
    ...labels,
    Buffer.from([0, 0, 1, 0, 1]),
  ]);
  return new Promise((resolve, reject) => {
    const s = connect(53, server);
    let buf = Buffer.alloc(0);
    s.setTimeout(5000, () => s.destroy(new Error('DNS over TCP timed out')));
    s.on('connect', () => s.write(Buffer.concat([Buffer.from([q.length >> 8, q.length & 0xff]), q])));
    s.on('data', (c) => {
      buf = Buffer.concat([buf, c]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        s.destroy();
        resolve({ rcode: buf[5] & 0x0f, answers: buf.readUInt16BE(8) });
      }
    });
    s.on('error', reject);
  });
}

/** Opens a connection, sends `head` and then whatever `drip` writes; resolves when berthd hangs up. */
function hangUpAfter(head: string, drip?: (s: Socket) => NodeJS.Timeout): Promise<{ ms: number; reply: string }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const s = connect(d.socket);
    let reply = '';
    let timer: NodeJS.Timeout | undefined;
    s.on('data', (c) => (reply += c));
    s.on('close', () => {
      clearInterval(timer);
      resolve({ ms: Date.now() - t0, reply });
    });
    s.on('error', () => {});
    s.write(head);
    if (drip) timer = drip(s);
    setTimeout(() => s.destroy(), 30_000).unref();
  });
}

test('finding 3: bodies that never end are cut: JSON by a deadline, archives when they stall, sizes capped', {
  skip,
}, async () => {
  const base = fds();
  // A chunked JSON body that stops after its first chunk.
  const stalled = await hangUpAfter(
    'POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"Ima\r\n',
  );
  assert.ok(stalled.ms < 10_000, `held for ${stalled.ms} ms`);
  // One that trickles a byte every 200 ms forever: the deadline is for the whole body.
  const trickle = await hangUpAfter(
    'POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
    (s) => setInterval(() => s.write('1\r\n \r\n'), 200),
  );
  assert.ok(trickle.ms < 10_000, `held for ${trickle.ms} ms`);
  // An image import whose tar stops coming: cut when it stalls; nothing is left in ingest.
  const imp = await hangUpAfter(
    'POST /images/create?fromSrc=-&repo=stalled HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\n\r\n200\r\n' +
      '\0'.repeat(512) +
      '\r\n',
  );
  assert.ok(imp.ms < 10_000, `held for ${imp.ms} ms`);
  await waitFor(async () => readdirSync(`${d.dataRoot}/content/ingest`).length === 0);
  // JSON bodies are capped at 4 MiB.
  const big = await d
    .api('POST', '/containers/create', {
      body: JSON.stringify({ Image: 'busybox', Labels: { x: 'y'.repeat(5 << 20) } }),
    })
    .catch((e: Error) => ({ status: 0, body: Buffer.from(e.message) }));
  assert.notEqual(big.status, 201);
  assert.equal((await d.api('GET', '/_ping')).status, 200);
  await waitFor(async () => fds() <= base + 5, 5000);
});

test('finding 5: a lookup string of 65+ characters that starts with a full ID is no container', { skip }, async () => {
  const id = await createContainer(d, { Image: 'busybox', Cmd: ['true'] });
  for (const s of [`${id}0`, `${id}x`, `${id}${id}`]) {
    for (const [m, p] of [
      ['GET', `/containers/${s}/json`],
      ['POST', `/containers/${s}/start`],
      ['DELETE', `/containers/${s}`],
      ['POST', `/containers/${s}/exec`],
    ] as const) {
      const r = await d.api(m, p, m === 'POST' && p.endsWith('exec') ? { body: { Cmd: ['true'] } } : undefined);
      assert.equal(r.status, 404, `${m} ${p}: ${r.body}`);
    }
  }
  assert.equal((await d.api('GET', `/containers/${id}/json`)).status, 200);
  await d.api('DELETE', `/containers/${id}`);
});
