import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createNetServer, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createDemuxer, frame, stdCopy } from './stdcopy.ts';
import { readJsonLines, displayProgress, StreamError } from './progress.ts';
import { parseHost, resolveHost, buildQuery, ApiError } from './transport.ts';
import { hijack, streamHijacked } from './hijack.ts';

test('demuxer handles frames split at any byte', () => {
  const data = Buffer.concat([frame(1, 'hello '), frame(2, 'err'), frame(1, 'world'), frame(1, '')]);
  for (let cut = 0; cut <= data.length; cut++) {
    const got: string[] = [];
    const d = createDemuxer((s, p) => got.push(`${s}:${p}`));
    d.push(data.subarray(0, cut));
    d.push(data.subarray(cut));
    assert.deepEqual(got, ['1:hello ', '2:err', '1:world', '1:'], `cut ${cut}`);
    assert.equal(d.pending(), 0);
  }
});

test('stdCopy routes streams and surfaces systemerr frames', async () => {
  let out = '';
  let err = '';
  await stdCopy(
    Readable.from([Buffer.concat([frame(1, 'a'), frame(2, 'b')])]),
    { write: (b) => (out += b) },
    { write: (b) => (err += b) },
  );
  assert.equal(out, 'a');
  assert.equal(err, 'b');
  await assert.rejects(stdCopy(Readable.from([frame(3, 'boom')]), null, null), /error from daemon in stream: boom/);
});

test('JSON-lines reader: split lines, concatenated objects, in-stream errors', async () => {
  const msgs = [];
  for await (const m of readJsonLines(Readable.from(['{"status":"a"}\n{"sta', 'tus":"b"}{"status":"c"}\n', '\n'])))
    msgs.push(m);
  assert.deepEqual(msgs, [{ status: 'a' }, { status: 'b' }, { status: 'c' }]);
  let out = '';
  const last = await displayProgress(
    Readable.from(['{"status":"Downloading","id":"x","progress":"[=>]"}\n{"status":"sha256:abc"}\n']),
    { write: (s) => (out += s) },
  );
  assert.equal(out, 'sha256:abc\n');
  assert.equal(last?.status, 'sha256:abc');
  await assert.rejects(
    displayProgress(Readable.from(['{"errorDetail":{"message":"nope"},"error":"nope"}\n']), { write: () => {} }),
    StreamError,
  );
});

test('host resolution: flag, BERTH_HOST, DOCKER_HOST, default', () => {
  assert.equal(resolveHost('unix:///a.sock', { BERTH_HOST: 'unix:///b', DOCKER_HOST: 'unix:///c' }), 'unix:///a.sock');
  assert.equal(resolveHost(undefined, { BERTH_HOST: 'unix:///b', DOCKER_HOST: 'unix:///c' }), 'unix:///b');
  assert.equal(resolveHost(undefined, { DOCKER_HOST: 'unix:///c' }), 'unix:///c');
  assert.equal(resolveHost(undefined, {}), 'unix:///run/berth/berth.sock');
  assert.deepEqual(parseHost('unix:///run/berth/berth.sock'), { kind: 'unix', path: '/run/berth/berth.sock' });
  assert.deepEqual(parseHost('tcp://127.0.0.1:2375'), { kind: 'tcp', host: '127.0.0.1', port: 2375 });
  assert.deepEqual(parseHost('tcp://[::1]:1234'), { kind: 'tcp', host: '::1', port: 1234 });
  assert.deepEqual(parseHost('tcp://localhost'), { kind: 'tcp', host: 'localhost', port: 2375 });
  assert.throws(() => parseHost('ssh://x'), /unsupported host scheme/);
});

test('query strings: booleans as 1, filters as JSON, repeated lists', () => {
  assert.equal(
    buildQuery({ all: true, size: false, limit: 3, filters: { status: { exited: true } }, changes: ['A', 'B'] }),
    '?all=1&limit=3&filters=%7B%22status%22%3A%7B%22exited%22%3Atrue%7D%7D&changes=A&changes=B',
  );
});

async function rawServer(onConn: (s: Socket) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'berth-hj-'));
  const path = join(dir, 's.sock');
  const srv = createNetServer(onConn);
  await new Promise<void>((r) => srv.listen(path, r));
  return {
    endpoint: { kind: 'unix' as const, path },
    close: () =>
      new Promise<void>((r) =>
        srv.close(() => {
          rmSync(dir, { recursive: true, force: true });
          r();
        }),
      ),
  };
}

test('hijack accepts the older plain-200 answer, bytes after the head included', async () => {
  const s = await rawServer((sock) => {
    sock.once('data', (req) => {
      assert.match(req.toString(), /^POST \/v1\.47\/containers\/x\/attach\?stream=1 HTTP\/1\.1\r\n/);
      assert.match(req.toString(), /Connection: Upgrade\r\nUpgrade: tcp\r\n/);
      sock.write(
        Buffer.concat([
          Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n'),
          frame(1, 'early'),
        ]),
      );
      sock.end(frame(2, 'late'));
    });
  });
  const conn = await hijack({ endpoint: s.endpoint, host: 'unix://x', path: '/v1.47/containers/x/attach?stream=1' });
  assert.equal(conn.status, 200);
  let out = '';
  let err = '';
  await streamHijacked(conn, { tty: false, stdout: { write: (b) => (out += b) }, stderr: { write: (b) => (err += b) } })
    .done;
  assert.equal(out, 'early');
  assert.equal(err, 'late');
  await s.close();
});

test('hijack turns an error answer into ApiError with the daemon message', async () => {
  const s = await rawServer((sock) => {
    sock.once('data', () => {
      const b = '{"message":"No such container: x"}';
      sock.end(`HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${b.length}\r\n\r\n${b}`);
    });
  });
  await assert.rejects(
    hijack({ endpoint: s.endpoint, host: 'unix://x', path: '/v1.47/containers/x/attach' }),
    (e: unknown) => e instanceof ApiError && e.status === 404 && e.message === 'No such container: x',
  );
  await s.close();
});

test('http1 client: content-length, chunked and close-delimited bodies; error bodies', async () => {
  const { createTransport } = await import('./transport.ts');
  const s = await rawServer((sock) => {
    let got = '';
    sock.on('data', (c) => {
      got += c.toString();
      if (!got.includes('\r\n\r\n')) return;
      const path = /^\w+ (\S+)/.exec(got)![1]!;
      if (path === '/v1.47/cl') sock.end('HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n{"a":1}\r\nEXTRA');
      else if (path.startsWith('/v1.47/chunked'))
        sock.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{"b"\r\n3\r\n:2}\r\n0\r\n\r\n');
      else if (path.startsWith('/v1.47/close')) sock.end('HTTP/1.1 200 OK\r\n\r\nuntil close');
      else if (path.startsWith('/v1.47/echo')) {
        const body = got.slice(got.indexOf('\r\n\r\n') + 4);
        if (!body.endsWith('}')) return;
        sock.end(`HTTP/1.1 201 Created\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      } else
        sock.end(
          'HTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\nContent-Length: 24\r\n\r\n{"message":"in use: x"}\n',
        );
    });
  });
  const t = await createTransport(`unix://${s.endpoint.path}`);
  assert.deepEqual(await t.json('GET', '/cl'), { a: 1 });
  assert.deepEqual(await t.json('GET', '/chunked'), { b: 2 });
  assert.equal((await t.raw('GET', '/close')).toString(), 'until close');
  assert.deepEqual(await t.json('POST', '/echo', { body: { x: 'y' } }), { x: 'y' });
  await assert.rejects(
    t.json('DELETE', '/x'),
    (e: unknown) => e instanceof ApiError && e.status === 409 && e.message === 'in use: x',
  );
  await s.close();
});

test('a missing socket is a ConnectError naming the host', async () => {
  const { createTransport, ConnectError } = await import('./transport.ts');
  const t = await createTransport('unix:///nonexistent/berth.sock');
  await assert.rejects(
    t.json('GET', '/_ping'),
    (e: unknown) =>
      e instanceof ConnectError &&
      /Cannot connect to the Berth daemon at unix:\/\/\/nonexistent\/berth\.sock/.test((e as Error).message),
  );
});
