import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSecret, secretsHeader } from './_build-secrets.ts';

test('--secret forms: src, env, type=env, bare id', () => {
  const read = (p: string) => {
    if (p === '/s/tok') return Buffer.from('file-value');
    throw Object.assign(new Error('nope'), { code: 'ENOENT' });
  };
  assert.deepEqual(parseSecret('id=tok,src=/s/tok', {}, read), ['tok', Buffer.from('file-value')]);
  assert.deepEqual(parseSecret('id=tok,source=/s/tok', {}, read), ['tok', Buffer.from('file-value')]);
  assert.deepEqual(parseSecret('id=tok,env=MY', { MY: 'e' }, read), ['tok', Buffer.from('e')]);
  assert.deepEqual(parseSecret('id=tok,type=env,src=MY', { MY: 'e2' }, read), ['tok', Buffer.from('e2')]);
  assert.deepEqual(parseSecret('id=TOK', { TOK: 'bare' }, read), ['TOK', Buffer.from('bare')]);
  assert.throws(() => parseSecret('src=/s/tok', {}, read), /id= is required/);
  assert.throws(() => parseSecret('id=x,src=/missing', {}, read), /secret x: could not read \/missing: ENOENT/);
  assert.throws(() => parseSecret('id=x,env=NOPE', {}, read), /environment variable NOPE is not set/);
  assert.throws(() => parseSecret('id=x,colour=red', {}, read), /unexpected key 'colour'/);
  const h = secretsHeader(['id=a,env=A'], { A: 'v' })!;
  assert.deepEqual(JSON.parse(Buffer.from(h, 'base64').toString()), { a: Buffer.from('v').toString('base64') });
});
