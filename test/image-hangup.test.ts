// Clients that hang up in the middle of an image load, import or save: the operation stops
// with the request (its context is the request's), no image or tag is made from half an
// archive, nothing is left in the content store's ingest area or as a layer, and berthd
// goes on serving — a whole load afterwards works.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { isRoot, type TestDaemon, useDaemon } from './helpers/daemon.ts';
import { waitFor } from './helpers/containers.ts';

const skip = isRoot ? false : 'needs root';
let d: TestDaemon;
useDaemon((x) => (d = x));

/** Sends `head` of a chunked body, then drops the connection without finishing it. */
function hangUpAfter(method: string, path: string, head: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const req = http.request({ socketPath: d.socket, method, path, headers: { 'Transfer-Encoding': 'chunked' } });
    req.on('error', () => resolve());
    req.on('close', () => resolve());
    req.write(head, () => setTimeout(() => req.destroy(), 300));
  });
}

/** Reads the first bytes of a streamed answer, then drops the connection. */
function readSomeThenHangUp(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath: d.socket, path }, (res) => {
      res.once('data', (c: Buffer) => {
        req.destroy();
        resolve(c.length);
      });
    });
    req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
  });
}

const ingest = () => readdirSync(join(d.dataRoot, 'content', 'ingest'));
const layers = () => readdirSync(join(d.dataRoot, 'layers')).length;

test('hang-ups mid-load, mid-import and mid-save leave no image, tag, layer or ingest file', { skip }, async () => {
  assert.equal((await d.api('POST', '/images/busybox/tag?repo=halfload&tag=1')).status, 201);
  const archive = (await d.api('GET', '/images/halfload:1/get')).body;
  assert.ok(archive.length > 100_000, `${archive.length} bytes`);
  assert.equal((await d.api('DELETE', '/images/halfload:1')).status, 200);
  const layersBefore = layers();

  await hangUpAfter('POST', '/images/load', archive.subarray(0, archive.length >> 1));
  await hangUpAfter('POST', '/images/create?fromSrc=-&repo=halfimport&tag=1', archive.subarray(0, archive.length >> 1));
  // The daemon notices the hang-ups and undoes what each had begun.
  await waitFor(async () => ingest().length === 0 && layers() === layersBefore, 30_000, 100);
  assert.equal((await d.api('GET', '/images/halfload:1/json')).status, 404);
  assert.equal((await d.api('GET', '/images/halfimport:1/json')).status, 404);

  // A save whose reader goes away after its first bytes: the daemon stops writing.
  assert.ok((await readSomeThenHangUp('/images/busybox/get')) > 0);
  assert.equal((await d.api('GET', '/_ping')).status, 200);

  // Whole requests still work afterwards.
  const r = await d.api('POST', '/images/load', { raw: archive });
  assert.equal(r.status, 200);
  assert.match(r.body.toString(), /Loaded image: halfload:1/);
  assert.equal((await d.api('DELETE', '/images/halfload:1')).status, 200);
  assert.deepEqual(ingest(), []);
});
