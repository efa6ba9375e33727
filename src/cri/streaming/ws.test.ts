// The streaming server's WebSocket forms against a client made here (the real crictl runs in
// test/cri.test.ts): the channel protocol's details crictl does not reach — the base64
// variant, v5's half-close of stdin, port-forward's channel pairs with the port first on
// each (the ports from the URL or from the PortForward request) — and the refusals: an
// unknown upgrade, unknown subprotocols, a missing port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { silentLogger } from '../../common/logger.ts';
import { encodeFrame, type Frame, FrameParser, Opcode } from '../../common/websocket/frames.ts';
import type { StreamIo, StreamingBackend } from '../backend.ts';
import { StreamServer } from './server.ts';

/** A client's masked frame. */
function masked(opcode: number, payload: Buffer): Buffer {
  const plain = encodeFrame(opcode, payload);
  const headLen = plain.length - payload.length;
  const mask = Buffer.from([9, 8, 7, 6]);
  const head = Buffer.from(plain.subarray(0, headLen));
  head[1] |= 0x80;
  return Buffer.concat([head, mask, Buffer.from(payload.map((b, i) => b ^ mask[i & 3]))]);
}

interface Client {
  status: number;
  response: string;
  frames: Frame[];
  socket: Socket;
  send(opcode: number, payload: Buffer): void;
  /** Resolves once a frame matching `pred` has arrived. */
  until(pred: (f: Frame) => boolean): Promise<Frame>;
  closed: Promise<void>;
}

async function dial(url: string, protocols: string[], upgrade = 'websocket'): Promise<Client> {
  const u = new URL(url);
  const socket = connect(Number(u.port), u.hostname);
  socket.write(
    [
      `GET ${u.pathname}${u.search} HTTP/1.1`,
      `Host: ${u.host}`,
      `Upgrade: ${upgrade}`,
      'Connection: Upgrade',
      'Sec-WebSocket-Version: 13',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
      ...(protocols.length ? [`Sec-WebSocket-Protocol: ${protocols.join(', ')}`] : []),
      '',
      '',
    ].join('\r\n'),
  );
  const parser = new FrameParser({ maxPayload: 1 << 20, requireMask: false });
  const frames: Frame[] = [];
  const events = new EventEmitter();
  let buf = Buffer.alloc(0);
  let response = '';
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  await new Promise<void>((resolve) => {
    socket.on('data', (b: Buffer) => {
      if (!response) {
        buf = Buffer.concat([buf, b]);
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        response = buf.subarray(0, end).toString();
        b = buf.subarray(end + 4);
        resolve();
        if (!response.startsWith('HTTP/1.1 101')) {
          response += `\r\n\r\n${b.toString()}`;
          return;
        }
      }
      frames.push(...parser.push(b));
      events.emit('frame');
    });
    socket.once('close', () => resolve());
  });
  return {
    status: Number(response.split(' ')[1]),
    response,
    frames,
    socket,
    closed,
    send: (opcode, payload) => socket.write(masked(opcode, payload)),
    until: (pred) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const f = frames.find(pred);
          if (f) {
            events.off('frame', check);
            resolve(f);
          }
        };
        events.on('frame', check);
        socket.once('close', () => {
          check();
          reject(new Error(`connection closed; frames: ${frames.map((f) => f.payload.toString('hex')).join(' ')}`));
        });
        check();
      }),
  };
}

/** An exec that echoes stdin to stdout until its end, then exits 7; port-forward echoes, uppercased. */
function backend(seen: { stdinEnded?: boolean; ports: number[] }): StreamingBackend {
  return {
    async exec(_req, io: StreamIo) {
      for await (const chunk of io.stdin!) io.stdout!.write(chunk);
      seen.stdinEnded = true;
      return 7;
    },
    async attach() {},
    async portForward(_pod, port, conn: Duplex, signal: AbortSignal) {
      seen.ports.push(port);
      if (port === 81) throw new Error('connection refused');
      if (port === 82) {
        // A server that says goodbye and hangs up; the forward lasts until it is stopped.
        conn.end('bye');
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        return;
      }
      for await (const chunk of conn) conn.write(Buffer.from(chunk.toString().toUpperCase()));
    },
  };
}

async function withServer(fn: (s: StreamServer, seen: { stdinEnded?: boolean; ports: number[] }) => Promise<void>) {
  const seen: { stdinEnded?: boolean; ports: number[] } = { ports: [] };
  const s = new StreamServer({ address: '127.0.0.1:0', backend: backend(seen), log: silentLogger });
  await s.listen();
  try {
    await fn(s, seen);
  } finally {
    await s.close();
  }
}

const execReq = (tty = false) =>
  ({
    kind: 'exec',
    req: { container_id: 'c', cmd: ['x'], tty, stdin: true, stdout: true, stderr: !tty },
  }) as Parameters<StreamServer['url']>[0];

test('v5: stdin half-closed with [255, 0]; the exit code as a Status on channel 3; then a normal close', async () => {
  await withServer(async (s, seen) => {
    const c = await dial(s.url(execReq()), ['v5.channel.k8s.io', 'v4.channel.k8s.io']);
    assert.equal(c.status, 101);
    assert.match(c.response, /\r\nSec-WebSocket-Protocol: v5\.channel\.k8s\.io/i);
    // The empty "ready" message on stdout comes first.
    const first = await c.until(() => true);
    assert.deepEqual([...first.payload], [1]);
    c.send(Opcode.Binary, Buffer.from([0, ...Buffer.from('hello')]));
    await c.until((f) => f.payload[0] === 1 && f.payload.subarray(1).toString() === 'hello');
    c.send(Opcode.Binary, Buffer.from([255, 0]));
    const status = await c.until((f) => f.payload[0] === 3);
    const st = JSON.parse(status.payload.subarray(1).toString());
    assert.equal(st.status, 'Failure');
    assert.equal(st.reason, 'NonZeroExitCode');
    assert.deepEqual(st.details.causes, [{ reason: 'ExitCode', message: '7' }]);
    assert.ok(seen.stdinEnded);
    const close = await c.until((f) => f.opcode === Opcode.Close);
    assert.equal(close.payload.readUInt16BE(0), 1000);
    c.send(Opcode.Close, close.payload);
    await c.closed;
  });
});

test('v4.base64: text messages, the channel as an ASCII digit and base64 data', async () => {
  await withServer(async (s) => {
    const c = await dial(s.url(execReq()), ['v4.base64.channel.k8s.io']);
    assert.equal(c.status, 101);
    c.send(Opcode.Text, Buffer.from(`0${Buffer.from('abc').toString('base64')}`));
    const out = await c.until((f) => f.payload.toString().startsWith('1') && f.payload.length > 1);
    assert.equal(out.opcode, Opcode.Text);
    assert.equal(Buffer.from(out.payload.subarray(1).toString(), 'base64').toString(), 'abc');
    c.socket.destroy();
  });
});

test('port-forward channels: the port first on each channel, data both ways, a failure on its error channel', async () => {
  await withServer(async (s, seen) => {
    const url = s.url({ kind: 'portforward', req: { pod_sandbox_id: 'p', port: [] } } as Parameters<
      StreamServer['url']
    >[0]);
    const c = await dial(`${url}?port=80&port=81`, ['v4.channel.k8s.io']);
    assert.equal(c.status, 101);
    const portOf = (ch: number) => c.until((f) => f.payload[0] === ch).then((f) => f.payload.readUInt16LE(1));
    assert.deepEqual(await Promise.all([0, 1, 2, 3].map(portOf)), [80, 80, 81, 81]);
    c.send(Opcode.Binary, Buffer.from([0, ...Buffer.from('ping')]));
    await c.until((f) => f.payload[0] === 0 && f.payload.subarray(1).toString() === 'PING');
    const err = await c.until((f) => f.payload[0] === 3 && f.payload.length > 3);
    assert.match(err.payload.subarray(1).toString(), /error forwarding port 81 to pod p: connection refused/);
    assert.deepEqual(seen.ports.sort(), [80, 81]);
    c.socket.destroy();
  });
});

test("port-forward channels with no port in the URL (the kubelet proxies without the query): the PortForward request's ports", async () => {
  await withServer(async (s, seen) => {
    const url = s.url({ kind: 'portforward', req: { pod_sandbox_id: 'p', port: [80] } } as Parameters<
      StreamServer['url']
    >[0]);
    const c = await dial(url, ['v4.channel.k8s.io']);
    assert.equal(c.status, 101, c.response);
    const portOf = (ch: number) => c.until((f) => f.payload[0] === ch).then((f) => f.payload.readUInt16LE(1));
    assert.deepEqual(await Promise.all([0, 1].map(portOf)), [80, 80]);
    c.send(Opcode.Binary, Buffer.from([0, ...Buffer.from('ping')]));
    await c.until((f) => f.payload[0] === 0 && f.payload.subarray(1).toString() === 'PING');
    assert.deepEqual(seen.ports, [80]);
    c.socket.destroy();
  });
});

test('port-forward channels: once the pod hangs up, the WebSocket closes normally', async () => {
  await withServer(async (s) => {
    const url = s.url({ kind: 'portforward', req: { pod_sandbox_id: 'p', port: [] } } as Parameters<
      StreamServer['url']
    >[0]);
    const c = await dial(`${url}?port=82`, ['v4.channel.k8s.io']);
    await c.until((f) => f.payload[0] === 0 && f.payload.subarray(1).toString() === 'bye');
    const close = await c.until((f) => f.opcode === Opcode.Close);
    assert.equal(close.payload.readUInt16BE(0), 1000);
    c.socket.destroy();
  });
});

test('refusals: an unknown upgrade, unknown subprotocols (naming both sides), port-forward without a port', async () => {
  await withServer(async (s) => {
    const h2c = await dial(s.url(execReq()), [], 'h2c');
    assert.equal(h2c.status, 400);
    assert.match(h2c.response, /unable to upgrade to "h2c"/);
    const old = await dial(s.url(execReq()), ['channel.k8s.io', 'v3.channel.k8s.io']);
    assert.equal(old.status, 403);
    assert.match(
      old.response,
      /requested protocol\(s\) are not supported: \[channel\.k8s\.io v3\.channel\.k8s\.io\]; supports \[v5/,
    );
    const pfUrl = s.url({ kind: 'portforward', req: { pod_sandbox_id: 'p', port: [] } } as Parameters<
      StreamServer['url']
    >[0]);
    const noPort = await dial(pfUrl, ['v4.channel.k8s.io']);
    assert.equal(noPort.status, 400);
    assert.match(noPort.response, /query parameter "port" is required/);
  });
});
