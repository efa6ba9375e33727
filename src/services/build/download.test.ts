// Which hosts an ADD <url> redirect may not land on when the build asked for another host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLocalHost } from './download.ts';

test('loopback, link-local and unspecified addresses count as local; others do not', () => {
  for (const h of [
    'localhost',
    'api.localhost',
    '127.0.0.1',
    '127.1.2.3',
    '169.254.169.254',
    '0.0.0.0',
    '[::1]',
    '::',
    'fe80::1',
  ])
    assert.equal(isLocalHost(h), true, h);
  for (const h of ['example.org', '10.0.0.1', '192.168.1.1', '8.8.8.8', '[2001:db8::1]', 'localhost.example.org'])
    assert.equal(isLocalHost(h), false, h);
});
