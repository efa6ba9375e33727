import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isKind } from '../common/errors.ts';
import { validateVolumeName } from './names.ts';
import {
  bindMountOptions,
  byDepth,
  isLocalPath,
  parseBindSpec,
  parseMountSpec,
  parseVolumesFrom,
  tmpfsData,
  tmpfsMountOptions,
} from './specs.ts';

test('-v specs Docker accepts (moby TestLinuxParseMountRaw)', () => {
  for (const spec of [
    '/home',
    '/home:/home',
    '/home:/something/else',
    '/with space',
    '/home:/with space',
    'relative:/absolute-path',
    'hostPath:/containerPath:ro',
    '/hostPath:/containerPath:rw',
    '/rw:/ro',
    '/hostPath:/containerPath:shared',
    '/hostPath:/containerPath:rslave',
    '/hostPath:/containerPath:ro,z,shared',
    '/hostPath:/containerPath:Z,ro,slave',
    '/hostPath:/containerPath:rslave,ro,Z',
    'vol:/data:nocopy',
    'vol:/data:ro,nocopy,z',
  ])
    assert.doesNotThrow(() => parseBindSpec(spec, 'local'), spec);
});

test('-v specs Docker refuses, with its messages', () => {
  const cases: Record<string, string> = {
    '': 'invalid volume specification',
    './': 'mount path must be absolute',
    '../': 'mount path must be absolute',
    '/:../': 'mount path must be absolute',
    '/:path': 'mount path must be absolute',
    ':': 'invalid volume specification',
    '/tmp:': 'invalid volume specification',
    ':test': 'invalid volume specification',
    ':/test': 'invalid volume specification',
    'tmp:': 'invalid volume specification',
    '::': 'invalid volume specification',
    '/tmp:::': 'invalid volume specification',
    '/path:rw': 'invalid volume specification',
    '/path:ro': 'invalid volume specification',
    'path:ro': 'invalid volume specification',
    '/path:/path:sw': 'invalid mode',
    '/path:/path:rwz': 'invalid mode',
    '/path:/path:ro,rshared,rslave': 'invalid mode',
    '/path:shared': 'invalid volume specification',
    'name:/absolute-path:shared': 'invalid volume specification',
    'name:/absolute-path:rprivate': 'invalid volume specification',
    '/x:/': "destination can't be '/'",
  };
  for (const [spec, msg] of Object.entries(cases)) {
    assert.throws(
      () => parseBindSpec(spec),
      (e: Error) => isKind(e, 'invalid-argument') && e.message.includes(msg),
      `${JSON.stringify(spec)} should fail with ${msg}`,
    );
  }
});

test('-v parses into Docker mount points', () => {
  const bind = parseBindSpec('/tmp:/tmp2:ro');
  assert.equal(bind.Type, 'bind');
  assert.equal(bind.Source, '/tmp');
  assert.equal(bind.Destination, '/tmp2');
  assert.equal(bind.RW, false);
  assert.equal(bind.Mode, 'ro');
  assert.equal(bind.Propagation, 'rprivate');
  const vol = parseBindSpec('data:/var/lib/db/:nocopy', 'myplugin');
  assert.equal(vol.Type, 'volume');
  assert.equal(vol.Name, 'data');
  assert.equal(vol.Destination, '/var/lib/db');
  assert.equal(vol.Driver, 'myplugin');
  assert.equal(vol.CopyData, false);
  assert.equal(vol.Mode, 'nocopy');
  const anon = parseBindSpec('/scratch');
  assert.equal(anon.Type, 'volume');
  assert.equal(anon.Name, '');
  assert.equal(anon.CopyData, true);
  assert.equal(parseBindSpec('/a:/b:rshared').Propagation, 'rshared');
});

test('Mounts: Docker validation messages', () => {
  const exists = (p: string) => p === '/exists';
  const fails: [Record<string, unknown>, string][] = [
    [{ Type: 'bind', Target: '/x' }, 'invalid mount config for type "bind": field Source must not be empty'],
    [{ Type: 'bind', Source: '/nope', Target: '/x' }, 'bind source path does not exist: /nope'],
    [{ Type: 'bind', Source: 'rel', Target: '/x' }, "invalid mount path: 'rel' mount path must be absolute"],
    [
      { Type: 'bind', Source: '/exists', Target: '/x', BindOptions: { Propagation: 'bogus' } },
      'invalid propagation mode: bogus',
    ],
    [{ Type: 'volume', Target: '/' }, "destination can't be '/'"],
    [{ Type: 'volume', Target: 'rel' }, "invalid mount path: 'rel' mount path must be absolute"],
    [{ Type: 'volume', Source: 'v' }, 'field Target must not be empty'],
    [
      { Type: 'volume', Target: '/x', VolumeOptions: { Subpath: 'a' } },
      'must not set Subpath when using anonymous volumes',
    ],
    [
      { Type: 'volume', Source: 'v', Target: '/x', VolumeOptions: { Subpath: '../etc' } },
      'subpath must be a relative path within the volume',
    ],
    [
      { Type: 'volume', Source: 'v', Target: '/x', VolumeOptions: { Subpath: '/etc' } },
      'subpath must be a relative path within the volume',
    ],
    [{ Type: 'tmpfs', Source: 'x', Target: '/x' }, 'field Source must not be specified'],
    [{ Type: 'volume', Target: '/x', BindOptions: {} }, 'field BindOptions must not be specified'],
    [{ Type: 'bind', Source: '/exists', Target: '/x', TmpfsOptions: {} }, 'field TmpfsOptions must not be specified'],
    [{ Type: 'weird', Target: '/x' }, 'mount type unknown'],
    [{ Type: 'npipe', Source: 'p', Target: '/x' }, 'not supported'],
    [{ Type: 'image', Target: '/x' }, 'field Source must not be empty'],
    [{ Type: 'image', Source: 'busybox', Target: '/x', ImageOptions: { Subpath: '../up' } }, 'within the image'],
    [{ Type: 'image', Source: 'busybox', Target: '/x', ImageOptions: { Subpath: '/abs' } }, 'within the image'],
    [{ Type: 'bind', Source: '/tmp', Target: '/x', ImageOptions: {} }, 'field ImageOptions must not be specified'],
    [{ Type: 'tmpfs', Target: '/x', TmpfsOptions: { Mode: 'x' } }, 'TmpfsOptions.Mode'],
    [{ Type: 'tmpfs', Target: '/x', TmpfsOptions: { Options: [['uid', '0']] } }, 'invalid option: uid'],
    [{ Type: 'volume', Target: 5 }, 'field Target must be a string'],
    [{ Type: 'bind', Source: '/exists', Target: '/x', Consistency: 'weird' }, 'invalid consistency mode: weird'],
    [
      { Type: 'bind', Source: '/exists', Target: '/x', BindOptions: { ReadOnlyNonRecursive: true } },
      'mount options conflict',
    ],
  ];
  for (const [m, msg] of fails) {
    assert.throws(
      () => parseMountSpec(m, exists),
      (e: Error) => isKind(e, 'invalid-argument') && e.message.includes(msg),
      `${JSON.stringify(m)} → ${msg}`,
    );
  }
  const created = parseMountSpec(
    { Type: 'bind', Source: '/nope', Target: '/x', BindOptions: { CreateMountpoint: true } },
    exists,
  );
  assert.equal(created.Source, '/nope');
  for (const c of ['default', 'consistent', 'cached', 'delegated'])
    assert.equal(
      parseMountSpec({ Type: 'bind', Source: '/exists', Target: '/x', Consistency: c }, exists).Type,
      'bind',
    );
  const v = parseMountSpec(
    { Type: 'volume', Source: 'cfg', Target: '/etc/app', VolumeOptions: { NoCopy: true, Subpath: 'a/b' } },
    exists,
  );
  assert.equal(v.CopyData, false);
  assert.equal(v.Name, 'cfg');
  // An image mount is read-only whatever ReadOnly says (Docker's image mounts are).
  const img = parseMountSpec(
    { Type: 'image', Source: 'busybox', Target: '/mnt/', ImageOptions: { Subpath: 'bin' } },
    exists,
  );
  assert.deepEqual([img.Type, img.Source, img.Destination, img.RW], ['image', 'busybox', '/mnt', false]);
});

test('volumes-from modes', () => {
  assert.deepEqual(parseVolumesFrom('a'), { container: 'a', mode: 'rw' });
  assert.deepEqual(parseVolumesFrom('a:ro'), { container: 'a', mode: 'ro' });
  assert.throws(() => parseVolumesFrom(''), /cannot be an empty string/);
  assert.throws(() => parseVolumesFrom('a:rshared'), /invalid mode: rshared/);
  assert.throws(() => parseVolumesFrom('a:nocopy'), /invalid mode: nocopy/);
  assert.throws(() => parseVolumesFrom('a:xyz'), /invalid mode: xyz/);
});

test('tmpfs options: Docker defaults merged, later words win, only tmpfs keys (catalogue row 70)', () => {
  assert.deepEqual(tmpfsMountOptions('', false), ['noexec', 'nosuid', 'nodev', 'rprivate']);
  assert.deepEqual(tmpfsMountOptions('rw,size=64k', false), [
    'noexec',
    'nosuid',
    'nodev',
    'rprivate',
    'rw',
    'size=64k',
  ]);
  assert.deepEqual(tmpfsMountOptions('exec,size=1m,size=2m', false), [
    'nosuid',
    'nodev',
    'rprivate',
    'exec',
    'size=2m',
  ]);
  assert.deepEqual(tmpfsMountOptions('mode=1777,uid=0', false), [
    'noexec',
    'nosuid',
    'nodev',
    'rprivate',
    'mode=1777',
    'uid=0',
  ]);
  // dev/suid only when privileged; anything that is not a tmpfs option is refused.
  assert.throws(() => tmpfsMountOptions('size=1m,exec,dev,uid=0,mode=4777', false), /invalid tmpfs option "dev"/);
  assert.throws(() => tmpfsMountOptions('suid', false), /invalid tmpfs option "suid"/);
  assert.ok(tmpfsMountOptions('dev,suid', true).includes('dev'));
  assert.throws(() => tmpfsMountOptions('bind', false), /invalid tmpfs option/);
  assert.throws(() => tmpfsMountOptions('size=1m;rm -rf /', false), /invalid tmpfs option/);
  assert.throws(() => tmpfsMountOptions('mode=99999', false), /bad value/);
  assert.throws(() => tmpfsMountOptions('context=system_u', false), /invalid tmpfs option/);
});

test('TmpfsOptions become a tmpfs option string as Docker writes it', () => {
  assert.equal(tmpfsData({ SizeBytes: 1 << 20, Mode: 0o700 }, false), 'mode=700,size=1m');
  assert.equal(tmpfsData({ SizeBytes: 1000 }, true), 'ro,size=1000');
  assert.equal(tmpfsData({ Options: [['exec']] }, false), 'exec');
});

test('bind options: rbind, rro for read-only, propagation', () => {
  const spec = (b: Record<string, unknown> = {}) => ({ BindOptions: b });
  assert.deepEqual(bindMountOptions({ RW: true, Propagation: 'rprivate', Spec: spec(), recursiveReadOnly: true }), [
    'rbind',
    'rprivate',
  ]);
  assert.deepEqual(bindMountOptions({ RW: false, Propagation: 'rslave', Spec: spec(), recursiveReadOnly: true }), [
    'rbind',
    'rro',
    'rslave',
  ]);
  assert.deepEqual(
    bindMountOptions({
      RW: false,
      Propagation: '',
      Spec: spec({ ReadOnlyNonRecursive: true }),
      recursiveReadOnly: true,
    }),
    ['rbind', 'ro'],
  );
  assert.deepEqual(
    bindMountOptions({ RW: true, Propagation: 'shared', Spec: spec({ NonRecursive: true }), recursiveReadOnly: true }),
    ['bind', 'shared'],
  );
});

test('subpaths stay inside the volume; mounts sort parents first', () => {
  for (const ok of ['a', 'a/b', './a', 'a/../b']) assert.ok(isLocalPath(ok), ok);
  for (const bad of ['', '/a', '..', '../a', 'a/../../b', 'a\0b']) assert.ok(!isLocalPath(bad), bad);
  assert.deepEqual(
    byDepth([{ destination: '/a/b/c' }, { destination: '/a' }, { destination: '/z/y' }, { destination: '/b' }]).map(
      (m) => m.destination,
    ),
    ['/a', '/b', '/z/y', '/a/b/c'],
  );
});

test('volume names: Docker rule, one path component (catalogue row 67)', () => {
  for (const ok of ['ab', 'pgdata', 'a.b_c-d', 'x'.repeat(255)]) assert.doesNotThrow(() => validateVolumeName(ok), ok);
  assert.throws(() => validateVolumeName('a'), /volume name is too short/);
  for (const bad of ['a/b', '../../etc', '..', '.x', '-x', 'a\0b', 'a b', '/abs', 'x'.repeat(300)]) {
    assert.throws(
      () => validateVolumeName(bad),
      (e: Error) => isKind(e, 'invalid-argument'),
      JSON.stringify(bad),
    );
  }
  assert.throws(() => validateVolumeName('a/b'), /includes invalid characters for a local volume name/);
});
