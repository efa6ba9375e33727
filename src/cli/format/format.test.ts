import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  humanDuration,
  humanSize,
  humanSizeWithPrecision,
  ramInBytes,
  parseGoDuration,
  getTimestamp,
} from './units.ts';
import { tabwrite } from './tabwriter.ts';
import { renderContainers, displayablePorts, ellipsis } from './containers.ts';
import { renderImages } from './images.ts';
import { jsonIndent, jsonCompact } from './json.ts';
import type { ContainerSummary, ImageSummary } from '../../client/index.ts';

const S = 1000;
test('go-units HumanDuration', () => {
  const cases: [number, string][] = [
    [0, 'Less than a second'],
    [999, 'Less than a second'],
    [1 * S, '1 second'],
    [5 * S, '5 seconds'],
    [59 * S, '59 seconds'],
    [60 * S, 'About a minute'],
    [119 * S, 'About a minute'],
    [120 * S, '2 minutes'],
    [59 * 60 * S, '59 minutes'],
    [60 * 60 * S, 'About an hour'],
    [89 * 60 * S, 'About an hour'],
    [90 * 60 * S, '2 hours'],
    [47 * 3600 * S, '47 hours'],
    [48 * 3600 * S, '2 days'],
    [13 * 86400 * S, '13 days'],
    [14 * 86400 * S, '2 weeks'],
    [59 * 86400 * S, '8 weeks'],
    [60 * 86400 * S, '2 months'],
    [729 * 86400 * S, '24 months'],
    [730 * 86400 * S, '2 years'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, String(ms));
});

test('go-units HumanSize (decimal, %.4g) and HumanSizeWithPrecision (%.3g)', () => {
  assert.equal(humanSize(0), '0B');
  assert.equal(humanSize(1000), '1kB');
  assert.equal(humanSize(1024), '1.024kB');
  assert.equal(humanSize(4261550), '4.262MB');
  assert.equal(humanSizeWithPrecision(4261550, 3), '4.26MB');
  assert.equal(humanSizeWithPrecision(7_800_000, 3), '7.8MB');
  assert.equal(humanSizeWithPrecision(187_000_000, 3), '187MB');
  assert.equal(humanSizeWithPrecision(999_950, 3), '1e+03kB');
  assert.equal(humanSizeWithPrecision(2, 3), '2B');
  assert.equal(humanSizeWithPrecision(1.2e12, 3), '1.2TB');
});

test('RAMInBytes and durations', () => {
  assert.equal(ramInBytes('512m'), 512 * 1024 * 1024);
  assert.equal(ramInBytes('1g'), 1024 ** 3);
  assert.equal(ramInBytes('1.5GB'), 1.5 * 1024 ** 3);
  assert.equal(ramInBytes('1024'), 1024);
  assert.throws(() => ramInBytes('lots'), /invalid size: 'lots'/);
  assert.equal(parseGoDuration('1h30m'), 5_400_000);
  assert.equal(parseGoDuration('1.5s'), 1500);
  assert.equal(parseGoDuration('abc'), undefined);
  assert.equal(getTimestamp('10s', 1_700_000_000_000), '1699999990.000000000');
  assert.equal(getTimestamp('2023-11-14T22:13:20Z'), '1700000000.000000000');
  assert.equal(getTimestamp('1700000000'), '1700000000');
});

test('tabwriter: minwidth 10, padding 3; trailing cell unaligned', () => {
  assert.equal(
    tabwrite('A\tBB\tC\nlonger cell\tx\tlast\n'),
    'A             BB        C\nlonger cell   x         last\n',
  );
  // a column block ends where a line has fewer cells
  assert.equal(tabwrite('a\tb\nc\nlongish-cell-x\td\n'), 'a         b\nc\nlongish-cell-x   d\n');
});

const NOW = 1_700_000_000_000;
/** Partial answers, as older daemons send them. */
const partial = <T>(xs: Partial<T>[]) => xs as T[];
const containers = partial<ContainerSummary>([
  {
    Id: '3f4ae2c8d1b0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6',
    Names: ['/happy_turing'],
    Image: 'busybox',
    ImageID: 'sha256:aaa',
    Command: 'sleep 1000',
    Created: NOW / 1000 - 5,
    Ports: [],
    State: 'running',
    Status: 'Up 3 seconds',
    Labels: { tier: 'web' },
  },
  {
    Id: 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2',
    Names: ['/web'],
    Image: 'docker.io/library/nginx:latest',
    Command: 'nginx -g daemon off; with a long tail',
    Created: NOW / 1000 - 130,
    Ports: [
      { PrivatePort: 80, Type: 'tcp', IP: '0.0.0.0', PublicPort: 8080 },
      { PrivatePort: 443, Type: 'tcp' },
    ],
    State: 'exited',
    Status: 'Exited (0) 2 minutes ago',
    SizeRw: 12,
    SizeRootFs: 187_000_000,
  },
  {
    Id: 'c'.repeat(64),
    Names: ['/fresh'],
    Image: 'sha256:' + 'd'.repeat(64),
    ImageID: 'sha256:' + 'd'.repeat(64),
    Command: '',
    Created: NOW / 1000,
    State: 'created',
    Status: 'Created',
  },
]);

test('ps default table', () => {
  const out = renderContainers(containers, { format: '', quiet: false, size: false, trunc: true, nowMs: NOW });
  assert.equal(
    out,
    [
      'CONTAINER ID   IMAGE          COMMAND                  CREATED              STATUS                     PORTS                           NAMES',
      '3f4ae2c8d1b0   busybox        "sleep 1000"             5 seconds ago        Up 3 seconds                                               happy_turing',
      'a1b2c3d4e5f6   nginx:latest   "nginx -g daemon off…"   2 minutes ago        Exited (0) 2 minutes ago   443/tcp, 0.0.0.0:8080->80/tcp   web',
      'cccccccccccc   dddddddddddd   ""                       Less than a second ago   Created                                                    fresh',
      '',
    ]
      .join('\n')
      .replace('CREATED              STATUS', 'CREATED                  STATUS')
      .replace('5 seconds ago        Up', '5 seconds ago            Up')
      .replace('2 minutes ago        Exited', '2 minutes ago            Exited'),
  );
});

test('ps -q, --no-trunc, -s and custom formats', () => {
  assert.equal(
    renderContainers(containers.slice(0, 1), { format: '', quiet: true, size: false, trunc: true }),
    '3f4ae2c8d1b0\n',
  );
  assert.equal(
    renderContainers(containers.slice(0, 1), { format: '', quiet: true, size: false, trunc: false }),
    `${containers[0]!.Id}\n`,
  );
  const sized = renderContainers(containers.slice(1, 2), {
    format: 'table {{.Names}}\t{{.Size}}',
    quiet: false,
    size: true,
    trunc: true,
  });
  assert.equal(sized, 'NAMES     SIZE\nweb       12B (virtual 187MB)\n');
  assert.equal(
    renderContainers(containers, {
      format: '{{.Names}}:{{.Label "tier"}}:{{.State}}',
      quiet: false,
      size: false,
      trunc: true,
    }),
    'happy_turing:web:running\nweb::exited\nfresh::created\n',
  );
  const js = JSON.parse(
    renderContainers(containers.slice(0, 1), {
      format: '{{json .}}',
      quiet: false,
      size: false,
      trunc: true,
      nowMs: NOW,
    }),
  );
  assert.equal(js.Names, 'happy_turing');
  assert.equal(js.Command, '"sleep 1000"');
  assert.equal(js.Labels, 'tier=web');
  assert.equal(js.Label, undefined);
});

test('ps Ports grouping and Ellipsis', () => {
  assert.equal(
    displayablePorts([
      { PrivatePort: 81, Type: 'tcp' },
      { PrivatePort: 80, Type: 'tcp' },
      { PrivatePort: 82, Type: 'tcp' },
      { PrivatePort: 53, Type: 'udp', IP: '::', PublicPort: 53 },
      { PrivatePort: 9000, Type: 'tcp', IP: '127.0.0.1', PublicPort: 9001 },
    ]),
    ':::53->53/udp, 80-82/tcp, 127.0.0.1:9001->9000/tcp',
  );
  assert.equal(ellipsis('abcdefghijklmnopqrstuvwxyz', 20), 'abcdefghijklmnopqrs…');
  assert.equal(ellipsis('short', 20), 'short');
});

const images = partial<ImageSummary>([
  {
    Id: 'sha256:' + 'ab'.repeat(32),
    RepoTags: ['busybox:latest', 'busybox:1.36'],
    RepoDigests: ['busybox@sha256:' + 'e'.repeat(64)],
    Created: NOW / 1000 - 86400 * 20,
    Size: 4_261_550,
  },
  { Id: 'sha256:' + 'cd'.repeat(32), RepoTags: [], RepoDigests: [], Created: NOW / 1000 - 3600, Size: 1_234 },
  { Id: 'sha256:' + 'ef'.repeat(32), RepoTags: ['localhost:5000/team/app:v1'], Created: 0, Size: 7_800_000 },
]);

test('images default table, <none> rows, N/A creation', () => {
  assert.equal(
    renderImages(images, { format: 'table', quiet: false, digest: false, trunc: true, nowMs: NOW }),
    [
      'REPOSITORY                TAG       IMAGE ID       CREATED             SIZE',
      'busybox                   latest    abababababab   2 weeks ago         4.26MB',
      'busybox                   1.36      abababababab   2 weeks ago         4.26MB',
      '<none>                    <none>    cdcdcdcdcdcd   About an hour ago   1.23kB',
      'localhost:5000/team/app   v1        efefefefefef   N/A                 7.8MB',
      '',
    ].join('\n'),
  );
});

test('images --digests, -q and custom format', () => {
  const out = renderImages(images.slice(0, 1), {
    format: 'table',
    quiet: false,
    digest: true,
    trunc: true,
    nowMs: NOW,
  });
  assert.match(out.split('\n')[0]!, /^REPOSITORY {3}TAG {7}DIGEST\s+IMAGE ID\s+CREATED\s+SIZE$/);
  assert.match(out.split('\n')[1]!, /^busybox {6}latest {4}sha256:e{64} {3}abababababab/);
  assert.equal(
    renderImages(images, { format: 'table', quiet: true, digest: false, trunc: true }),
    'abababababab\nabababababab\ncdcdcdcdcdcd\nefefefefefef\n',
  );
  assert.equal(
    renderImages(images.slice(0, 1), {
      format: '{{.Repository}}:{{.Tag}} {{.Size}}',
      quiet: false,
      digest: false,
      trunc: true,
    }),
    'busybox:latest 4.26MB\nbusybox:1.36 4.26MB\n',
  );
});

test("json.Indent keeps the daemon's text, empty containers compact", () => {
  const raw = '{"Id":"x","Args":[],"Cfg":{},"N":1.50,"L":["a","b"],"S":"a\\u003cb"}';
  assert.equal(
    jsonIndent(`[${raw}]`),
    '[\n    {\n        "Id": "x",\n        "Args": [],\n        "Cfg": {},\n        "N": 1.50,\n        "L": [\n            "a",\n            "b"\n        ],\n        "S": "a\\u003cb"\n    }\n]',
  );
  assert.equal(jsonCompact('{ "a" : [ 1, 2 ] }'), '{"a":[1,2]}');
});
