import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMount } from './container-values.ts';

test('--mount as the docker CLI builds it', () => {
  assert.deepEqual(parseMount('type=volume,src=cfg,dst=/etc/app,volume-nocopy', '/w'), {
    Type: 'volume',
    Source: 'cfg',
    Target: '/etc/app',
    VolumeOptions: { NoCopy: true },
  });
  assert.deepEqual(
    parseMount('src=v,dst=/d,volume-driver=plug,volume-opt=size=1g,volume-label=a=b,volume-subpath=x/y,ro', '/w'),
    {
      Type: 'volume',
      Source: 'v',
      Target: '/d',
      ReadOnly: true,
      VolumeOptions: { DriverConfig: { Name: 'plug', Options: { size: '1g' } }, Labels: { a: 'b' }, Subpath: 'x/y' },
    },
  );
  assert.deepEqual(parseMount('type=tmpfs,dst=/cache,tmpfs-size=1m,tmpfs-mode=1770', '/w'), {
    Type: 'tmpfs',
    Target: '/cache',
    TmpfsOptions: { SizeBytes: 1 << 20, Mode: 0o1770 },
  });
  assert.deepEqual(
    parseMount('type=bind,src=./data,dst=/d,bind-propagation=rshared,bind-recursive=disabled,bind-create-src', '/w'),
    {
      Type: 'bind',
      Source: '/w/data',
      Target: '/d',
      BindOptions: { Propagation: 'rshared', NonRecursive: true, CreateMountpoint: true },
    },
  );
});

test('--mount mistakes the docker CLI catches', () => {
  const cases: [string, RegExp][] = [
    ['', /value is empty/],
    ['type=bind,src=/a,dst=/b,volume-nocopy', /cannot mix 'volume-\*' options with mount type 'bind'/],
    ['type=volume,dst=/b,tmpfs-size=1m', /cannot mix 'tmpfs-\*' options with mount type 'volume'/],
    ['type=bind,src=/a,dst=/b,bind-recursive=writable', /requires 'readonly'/],
    ['dst=/b,bogus=1', /unknown option 'bogus'/],
    ['dst=/b,ro=maybe', /invalid boolean value/],
    ['dst= /b', /value should not have whitespace/],
    ['dst=/b,bind-nonrecursive', /deprecated/],
    ['type=tmpfs,dst=/b,tmpfs-mode=9', /invalid value for tmpfs-mode/],
    ['dst', /must be a key=value pair/],
  ];
  for (const [v, re] of cases) assert.throws(() => parseMount(v, '/w'), re, v);
});
