// The embedded DNS server over UDP and TCP on loopback, with a stub upstream that answers
// truncated over UDP and whole over TCP (as a resolver does for large answers).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { connect, createServer, type Server } from 'node:net';
import { DnsServer } from './dns.ts';

const SERVER = '127.83.0.1';
const UPSTREAM = '127.83.0.2';
const isRoot = process.getuid?.() === 0;

function query(id: number, name: string, type = 1): Buffer {
  const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(0x0100, 2);
  h.writeUInt16BE(1, 4);
  return Buffer.concat([h, ...labels, Buffer.from([0, 0, type, 0, 1])]);
}

/** The upstream's answer: `marker` as the last byte, TC set when asked over UDP. */
function upstreamAnswer(q: Buffer, udp: boolean): Buffer {
  const r = Buffer.from(q);
  r.writeUInt16BE(0x8180 | (udp ? 0x0200 : 0), 2);
  return Buffer.concat([r, Buffer.from([udp ? 0x55 : 0x77])]);
}

const frame = (m: Buffer) => Buffer.concat([Buffer.from([m.length >> 8, m.length & 0xff]), m]);

let dns: DnsServer;
let upUdp: Socket;
let upTcp: Server;

before(async () => {
  if (!isRoot) return;
  upUdp = createSocket('udp4');
  upUdp.on('message', (m, r) => upUdp.send(upstreamAnswer(m, true), r.port, r.address));
  await new Promise<void>((ok) => upUdp.bind(53, UPSTREAM, ok));
  upTcp = createServer((c) => c.on('data', (d: Buffer) => c.end(frame(upstreamAnswer(d.subarray(2), false)))));
  await new Promise<void>((ok) => upTcp.listen(53, UPSTREAM, ok));
  dns = new DnsServer({
    lookup: (_n, name) => (name === 'web' ? ['10.9.0.5'] : []),
    reverse: () => undefined,
    upstreams: () => [UPSTREAM],
  });
  await dns.listen('net1', SERVER);
});

after(() => {
  dns?.closeAll();
  upUdp?.close();
  upTcp?.close();
});

function overTcp(messages: Buffer[], split: boolean): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const c = connect(53, SERVER);
    let buf = Buffer.alloc(0);
    const out: Buffer[] = [];
    c.on('error', reject);
    c.on('connect', () => {
      const all = Buffer.concat(messages.map(frame));
      // Byte by byte when asked: framing must not depend on how reads split.
      if (split) for (const b of all) c.write(Buffer.from([b]));
      else c.write(all);
    });
    c.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        out.push(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
      if (out.length === messages.length) {
        c.end();
        resolve(out);
      }
    });
  });
}

test('TCP: several framed queries on one connection, split anyhow; ours answered, others forwarded over TCP', {
  skip: !isRoot && 'needs root (port 53)',
}, async () => {
  const replies = await overTcp([query(1, 'web'), query(2, 'example.org')], true);
  const byId = new Map(replies.map((r) => [r.readUInt16BE(0), r]));
  const ours = byId.get(1)!;
  assert.equal(ours.readUInt16BE(6), 1, 'one answer');
  assert.deepEqual([...ours.subarray(ours.length - 4)], [10, 9, 0, 5]);
  assert.equal(byId.get(2)!.at(-1), 0x77, 'forwarded over TCP');
});

test('UDP: a truncated upstream answer is fetched again over TCP', {
  skip: !isRoot && 'needs root (port 53)',
}, async () => {
  const c = createSocket('udp4');
  const reply = await new Promise<Buffer>((resolve) => {
    c.on('message', (m) => resolve(m));
    c.send(query(3, 'example.org'), 53, SERVER);
  });
  c.close();
  assert.equal(reply.readUInt16BE(0), 3);
  assert.equal(reply.at(-1), 0x77);
  assert.equal(reply[2] & 0x02, 0, 'not truncated');
});
