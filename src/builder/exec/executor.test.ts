// The executor against fake ports: step output, configs, created_by and the cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { parseDockerfile } from '../dockerfile/parser.ts';
import { tarToBuffer } from '../../tar/writer.ts';
import { indexContext } from '../context/index.ts';
import { executeBuild } from './executor.ts';
import type { BuildPorts } from './ports.ts';
import type { HistoryEntry, RunConfig } from '../../oci/image-spec.ts';

function fakes() {
  const images = new Map<string, { config: RunConfig; history: HistoryEntry[]; parent: string }>();
  const cache = new Map<string, string>();
  const calls: string[] = [];
  let n = 0;
  const mk = (parent: string, config: RunConfig, h: HistoryEntry) => {
    const id = `sha256:${(++n).toString(16).padStart(64, '0')}`;
    images.set(id, { config, history: [...(images.get(parent)?.history ?? []), h], parent });
    return id;
  };
  images.set('sha256:base', { config: { Cmd: ['sh'], Env: ['PATH=/bin'] }, history: [], parent: '' });
  const ports: BuildPorts = {
    resolveImage: async (name) => {
      if (name !== 'busybox') throw new Error('no such image');
      return { id: 'sha256:base', config: images.get('sha256:base')!.config, history: [], layers: 1 };
    },
    create: async (req) => {
      calls.push(`create ${JSON.stringify(req.config.Cmd)} ${req.config.Env?.join(',')}`);
      return 'c' + ++n;
    },
    prepareMounts: async () => ({ binds: [], release: async () => {} }),
    run: async (_c, out) => {
      out(Buffer.from('ran\n'));
      return 0;
    },
    copyFromImage: async () => Readable.from([]),
    isDir: async () => false,
    lookupUser: async () => ({ uid: 1, gid: 1 }),
    commit: async (_c, parent, config, h) => mk(parent, config, h),
    commitLayer: async (parent, tar, config, h) => {
      for await (const _ of tar) {
        /* drain */
      }
      calls.push(`layer ${h.created_by}`);
      return mk(parent, config, h);
    },
    decompress: async (s) => s,
    remove: async (c) => {
      calls.push(`rm ${c}`);
    },
    download: async () => ({
      size: 1,
      sha256: '2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881',
      open: () => Readable.from([Buffer.from('x')]),
      release: async () => {},
    }),
    cacheGet: async (k) => cache.get(k),
    cachePut: async (k, v) => {
      cache.set(k, v);
    },
  };
  return { ports, images, calls };
}

test('metadata steps, RUN with build args, COPY, and a fully cached second run', async () => {
  const { ports, images, calls } = fakes();
  const tar = await tarToBuffer([{ entry: { name: 'a.txt', type: 'file', size: 2 }, body: Buffer.from('hi') }]);
  const index = await indexContext(Readable.from([tar]), []);
  const df = parseDockerfile('FROM busybox\nARG V=1\nENV A=$V\nCOPY a.txt /x/\nRUN echo $A\nCMD ["run"]\n');
  const req = {
    dockerfile: df,
    fileName: 'Dockerfile',
    context: { index, open: () => Readable.from([tar]) },
    buildArgs: { V: '7' },
    labels: {},
    noCache: false,
    pull: false,
    rm: true,
    forceRm: false,
    extraHosts: [],
    cacheFrom: [],
  };
  let text = '';
  const { id } = await executeBuild(
    ports,
    req,
    {
      stream: (t) => {
        text += t;
      },
    },
    new AbortController().signal,
  );
  assert.match(text, /^Step 1\/6 : FROM busybox\n ---> base\n/);
  assert.match(text, / ---> Running in c\d+\nran\nRemoving intermediate container c\d+\n/);
  const img = images.get(id)!;
  assert.deepEqual(img.config.Cmd, ['run']);
  assert.ok(img.config.Env!.includes('A=7'));
  assert.deepEqual(
    img.history.map((h) => h.created_by),
    [
      '/bin/sh -c #(nop)  ARG V=1',
      '/bin/sh -c #(nop)  ENV A=7',
      `/bin/sh -c #(nop) COPY file:${img.history[2].created_by!.split('file:')[1].split(' ')[0]} in /x/ `,
      '|1 V=7 /bin/sh -c echo $A',
      '/bin/sh -c #(nop)  CMD ["run"]',
    ],
  );
  assert.ok(
    calls.some((c) => c.startsWith('create ["/bin/sh","-c","echo $A"] PATH=/bin,A=7,V=7')),
    calls.join('\n'),
  );
  let again = '';
  const second = await executeBuild(
    ports,
    req,
    {
      stream: (t) => {
        again += t;
      },
    },
    new AbortController().signal,
  );
  assert.equal(second.id, id);
  assert.equal((again.match(/Using cache/g) ?? []).length, 5);
});

test('errors: unknown target, missing COPY source, COPY ../x', async () => {
  const { ports } = fakes();
  const index = { entries: new Map(), captured: new Map() };
  const base = {
    fileName: 'Dockerfile',
    context: { index, open: () => Readable.from([]) },
    buildArgs: {},
    labels: {},
    noCache: false,
    pull: false,
    rm: true,
    forceRm: false,
    extraHosts: [],
    cacheFrom: [],
  };
  const sig = new AbortController().signal;
  const out = { stream: () => {} };
  await assert.rejects(
    executeBuild(ports, { ...base, dockerfile: parseDockerfile('FROM busybox\n'), target: 'nope' }, out, sig),
    /failed to reach build target nope/,
  );
  await assert.rejects(
    executeBuild(ports, { ...base, dockerfile: parseDockerfile('FROM busybox\nCOPY x /\n') }, out, sig),
    /file not found in build context/,
  );
  await assert.rejects(
    executeBuild(ports, { ...base, dockerfile: parseDockerfile('FROM busybox\nCOPY ../x /\n') }, out, sig),
    /outside the build context/,
  );
});
