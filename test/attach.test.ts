// Attach in every form (plain and upgraded hijack, websocket, logs+stream, several clients,
// detach keys per call and from daemon.json, StdinOnce) and /events, against a real berthd.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { isRoot, importBusybox, startDaemon, type TestDaemon, useDaemon } from './helpers/daemon.ts';
import { demux } from './helpers/http.ts';
import { createContainer, waitFor } from './helpers/containers.ts';
import { hijackRaw, wsDecode, wsFrame } from './helpers/stream.ts';

const skip = isRoot ? false : 'needs root (real mounts, runc, shims)';
let d: TestDaemon;

useDaemon((x) => (d = x));

const state = async (id: string) => (await d.api('GET', `/containers/${id}/json`)).json().State;

test("plain hijack (200) with stdin; StdinOnce: the client's EOF ends the container's stdin", { skip }, async () => {
  const id = await createContainer(d, {
    Image: 'busybox',
    Cmd: ['cat'],
    OpenStdin: true,
    StdinOnce: true,
    AttachStdin: true,
  });
  const h = await hijackRaw(d.socket, 'POST', `/v1.47/containers/${id}/attach?stream=1&stdin=1&stdout=1&stderr=1`, {
    upgrade: false,
  });
  assert.equal(h.status, 200);
  assert.match(h.head, /Content-Type: application\/vnd\.docker\.multiplexed-stream/);
  const wait = d.api('POST', `/containers/${id}/wait?condition=next-exit`);
  assert.equal((await d.api('POST', `/containers/${id}/start`)).status, 204);
  h.socket.write('line one\n');
  await h.waitFor((b) => demux(b).stdout === 'line one\n');
  h.socket.end('line two\n');
  assert.equal((await wait).json().StatusCode, 0, 'cat saw EOF and exited');
  await h.ended;
  assert.equal(demux(h.data()).stdout, 'line one\nline two\n');
});

test('logs+stream, several clients at once, stdin from either', { skip }, async () => {
  const id = await createContainer(d, {
    Image: 'busybox',
    Cmd: ['sh', '-c', 'echo before; while read l; do echo "got $l"; done'],
    OpenStdin: true,
  });
  await d.api('POST', `/containers/${id}/start`);
  await waitFor(async () => demux((await d.api('GET', `/containers/${id}/logs?stdout=1`)).body).stdout === 'before\n');
  const a = await hijackRaw(d.socket, 'POST', `/v1.47/containers/${id}/attach?logs=1&stream=1&stdin=1&stdout=1`);
  const b = await hijackRaw(d.socket, 'POST', `/v1.47/containers/${id}/attach?stream=1&stdin=1&stdout=1`);
  assert.equal(a.status, 101);
  await a.waitFor((x) => demux(x).stdout === 'before\n');
  // `a` joins the live stream only once its log replay is written out; output produced in
  // between is not replayed (Docker's attach has the same window), so give it a moment.
  await new Promise((r) => setTimeout(r, 200));
  a.socket.write('from-a\n');
  await a.waitFor((x) => demux(x).stdout.includes('got from-a'));
  b.socket.write('from-b\n');
  await b.waitFor((x) => demux(x).stdout === 'got from-a\ngot from-b\n');
  await a.waitFor((x) => demux(x).stdout === 'before\ngot from-a\ngot from-b\n');
  // a client that goes away leaves the container (no StdinOnce) and the other client alone
  a.socket.destroy();
  b.socket.write('after\n');
  await b.waitFor((x) => demux(x).stdout.endsWith('got after\n'));
  assert.equal((await state(id)).Running, true);
  b.socket.destroy();
  // logs only (no stream) of a stopped container still works
  await d.api('POST', `/containers/${id}/kill`);
  const l = await hijackRaw(d.socket, 'POST', `/v1.47/containers/${id}/attach?logs=1&stdout=1`);
  await l.ended;
  assert.equal(demux(l.data()).stdout, 'before\ngot from-a\ngot from-b\ngot after\n');
  assert.equal((await d.api('POST', `/containers/${id}/attach?stream=1&stdout=1`)).status, 409);
});

test('detach keys: per call with a TTY, swallowed; without a TTY they are plain input', { skip }, async () => {
  const since = Date.now() / 1000;
  const id = await createContainer(d, { Image: 'busybox', Cmd: ['sh'], OpenStdin: true, Tty: true }, 'tty1');
  await d.api('POST', `/containers/${id}/start`);
  const h = await hijackRaw(
    d.socket,
    'POST',
    `/v1.47/containers/${id}/attach?stream=1&stdin=1&stdout=1&detachKeys=ctrl-a,b`,
  );
  assert.match(h.head, /application\/vnd\.docker\.raw-stream/);
  h.socket.write('echo mark-$((40+2))\r');
  await h.waitFor((x) => x.includes('mark-42'));
  h.socket.write(Buffer.from([0x01, 0x62]));
  await h.ended;
  assert.equal((await state(id)).Running, true, 'the container keeps running after a detach');
  const ev = (
    await d.api(
      'GET',
      `/events?since=${since}&until=${Date.now() / 1000}&filters=${encodeURIComponent('{"container":["tty1"]}')}`,
    )
  ).body.toString();
  assert.match(ev, /"Action":"attach"/);
  assert.match(ev, /"Action":"detach"/);
  // attach again: the same shell
  const again = await hijackRaw(d.socket, 'POST', `/v1.47/containers/${id}/attach?stream=1&stdin=1&stdout=1`);
  again.socket.write('echo second-$((1+1))\r');
  await again.waitFor((x) => x.includes('second-2'));
  // the default keys detach too
  again.socket.write(Buffer.from([0x10, 0x11]));
  await again.ended;
  assert.equal((await state(id)).Running, true);

  const plain = await createContainer(d, {
    Image: 'busybox',
    Cmd: ['od', '-An', '-tx1'],
    OpenStdin: true,
    StdinOnce: true,
  });
  const p = await hijackRaw(d.socket, 'POST', `/v1.47/containers/${plain}/attach?stream=1&stdin=1&stdout=1`);
  await d.api('POST', `/containers/${plain}/start`);
  p.socket.end(Buffer.from([0x10, 0x11, 0x41]));
  await p.ended;
  assert.match(demux(p.data()).stdout, /10 11 41/, 'without a TTY ctrl-p ctrl-q reach the process');
});

test('websocket attach: binary frames both ways', { skip }, async () => {
  const id = await createContainer(d, { Image: 'busybox', Cmd: ['cat'], OpenStdin: true });
  await d.api('POST', `/containers/${id}/start`);
  const key = randomBytes(16).toString('base64');
  const ws = await hijackRaw(d.socket, 'GET', `/v1.47/containers/${id}/attach/ws?stream=1&stdin=1&stdout=1`, {
    upgrade: 'websocket',
    headers: { 'Sec-WebSocket-Key': key, 'Sec-WebSocket-Version': '13' },
  });
  assert.equal(ws.status, 101);
  const { createHash } = await import('node:crypto');
  const accept = createHash('sha1')
    .update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
    .digest('base64');
  assert.match(ws.head, new RegExp(`Sec-WebSocket-Accept: ${accept.replace(/[+/]/g, '\\$&')}`));
  ws.socket.write(wsFrame(2, Buffer.from('over websocket\n')));
  await ws.waitFor(
    (b) =>
      wsDecode(b)
        .map((f) => f.payload.toString())
        .join('') === 'over websocket\n',
  );
  assert.ok(
    wsDecode(ws.data()).every((f) => f.opcode === 2),
    'binary frames from API 1.28 on',
  );
  ws.socket.write(wsFrame(8, Buffer.from([0x03, 0xe8])));
  await ws.ended;
  assert.equal((await state(id)).Running, true);
});

test('websocket attach: text messages are stdin too; a breach of the protocol gets its close code; a bad handshake 400', {
  skip,
}, async () => {
  const id = await createContainer(d, { Image: 'busybox', Cmd: ['cat'], OpenStdin: true });
  await d.api('POST', `/containers/${id}/start`);
  const open = () =>
    hijackRaw(d.socket, 'GET', `/v1.47/containers/${id}/attach/ws?stream=1&stdin=1&stdout=1`, {
      upgrade: 'websocket',
      headers: { 'Sec-WebSocket-Key': randomBytes(16).toString('base64'), 'Sec-WebSocket-Version': '13' },
    });
  const closeCodes = (b: Buffer) =>
    wsDecode(b)
      .filter((f) => f.opcode === 8)
      .map((f) => f.payload.readUInt16BE(0));

  const text = await open();
  assert.equal(text.status, 101);
  text.socket.write(wsFrame(1, Buffer.from('as text\n')));
  await text.waitFor((b) =>
    wsDecode(b)
      .map((f) => f.payload.toString())
      .join('')
      .includes('as text\n'),
  );
  // An unmasked client frame breaks RFC 6455 §5.1: close 1002, then the socket ends.
  const unmasked = Buffer.from([0x82, 0x03, 0x61, 0x62, 0x63]);
  text.socket.write(unmasked);
  await text.ended;
  assert.deepEqual(closeCodes(text.data()), [1002]);

  // A text message that is not UTF-8: 1007.
  const bad = await open();
  bad.socket.write(wsFrame(1, Buffer.from([0xc3, 0x28])));
  await bad.ended;
  assert.deepEqual(closeCodes(bad.data()), [1007]);

  // No key, wrong version: refused before anything is attached.
  const refused: Record<string, string>[] = [
    { 'Sec-WebSocket-Version': '13' },
    { 'Sec-WebSocket-Key': randomBytes(16).toString('base64'), 'Sec-WebSocket-Version': '8' },
  ];
  for (const headers of refused) {
    const r = await hijackRaw(d.socket, 'GET', `/v1.47/containers/${id}/attach/ws?stream=1&stdin=1&stdout=1`, {
      upgrade: 'websocket',
      headers,
    });
    assert.equal(r.status, 400, r.head);
    r.socket.destroy();
  }
  assert.equal((await state(id)).Running, true);
});

test('events: since/until/filters, streaming, until in the future ends the stream', { skip }, async () => {
  const t0 = Date.now() / 1000;
  const id = await createContainer(d, { Image: 'busybox', Cmd: ['true'], Labels: { team: 'a' } }, 'evt1');
  await d.api('POST', `/containers/${id}/start`);
  await waitFor(async () => (await state(id)).Status === 'exited');
  await d.api('POST', '/images/busybox/tag?repo=evt-tag&tag=v1');
  const t1 = Date.now() / 1000;
  const q = (f: unknown, extra = '') =>
    d.api('GET', `/events?since=${t0}&until=${t1}&filters=${encodeURIComponent(JSON.stringify(f))}${extra}`).then((r) =>
      r.body
        .toString()
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
    );
  const all = await q({});
  assert.deepEqual(
    all.filter((e) => e.Type === 'container').map((e) => e.Action),
    ['create', 'start', 'die'],
  );
  const die = all.find((e) => e.Action === 'die');
  assert.equal(die.Actor.Attributes.exitCode, '0');
  assert.equal(die.status, 'die');
  assert.equal(die.id, id);
  assert.equal(die.from, 'busybox');
  assert.deepEqual(
    (await q({ type: ['image'] })).map((e) => e.Action),
    ['tag'],
  );
  assert.deepEqual(
    (await q({ event: ['start'] })).map((e) => e.Actor.ID),
    [id],
  );
  assert.equal((await q({ container: [id.slice(0, 8)] })).length, 3);
  assert.equal((await q({ container: ['evt1'] })).length, 3);
  assert.equal((await q({ label: ['team=a'] })).length, 3);
  assert.equal((await q({ label: ['team=b'] })).length, 0);
  assert.equal((await q({ image: ['busybox'], type: ['container'] })).length, 3);
  assert.equal((await d.api('GET', `/events?filters=${encodeURIComponent('{"bogus":["x"]}')}`)).status, 400);
  assert.equal((await d.api('GET', '/events?since=yesterday-ish')).status, 400);

  // live: the stream carries events as they happen and ends at `until`
  const until = Date.now() / 1000 + 2;
  const live = await hijackRaw(
    d.socket,
    'GET',
    `/events?until=${until}&filters=${encodeURIComponent('{"event":["create"]}')}`,
    { upgrade: false, headers: { Connection: 'close' } },
  );
  assert.equal(live.status, 200);
  const id2 = await createContainer(d, { Image: 'busybox', Cmd: ['true'] });
  await live.waitFor((b) => b.toString().includes(id2));
  await live.ended;
  assert.ok(Date.now() / 1000 >= until - 0.1, 'the stream ended at until');
});

test('events history and daemon.json detach-keys survive a restart (SIGKILL)', { skip }, async () => {
  const d2 = await startDaemon({ config: { 'detach-keys': 'ctrl-x' } });
  try {
    await importBusybox(d2);
    const t0 = Date.now() / 1000;
    const id = await createContainer(d2, { Image: 'busybox', Cmd: ['sh'], OpenStdin: true, Tty: true });
    await d2.api('POST', `/containers/${id}/start`);
    const h = await hijackRaw(d2.socket, 'POST', `/v1.47/containers/${id}/attach?stream=1&stdin=1&stdout=1`);
    h.socket.write(Buffer.from([0x10, 0x11])); // ctrl-p ctrl-q: not the keys here
    h.socket.write('echo still-$((3*3))\r');
    await h.waitFor((x) => x.includes('still-9'));
    h.socket.write(Buffer.from([0x18])); // ctrl-x
    await h.ended;
    // the journal appends within a turn of the event loop (no fsync): a SIGKILL loses only that
    const { readFile } = await import('node:fs/promises');
    await waitFor(async () => (await readFile(`${d2.dataRoot}/events.jsonl`, 'utf8')).includes('"Action":"detach"'));
    await d2.stop('SIGKILL');
    await d2.start();
    const ev = (await d2.api('GET', `/events?since=${t0}&until=${Date.now() / 1000}`)).body.toString();
    for (const a of ['create', 'start', 'attach', 'detach']) assert.match(ev, new RegExp(`"Action":"${a}"`), a);
    assert.equal((await d2.api('GET', `/containers/${id}/json`)).json().State.Running, true);
  } finally {
    await d2.cleanup();
  }
});
