import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFlags, FlagError, type FlagSpec } from './flags.ts';

const specs: FlagSpec[] = [
  { name: 'detach', short: 'd', type: 'bool' },
  { name: 'interactive', short: 'i', type: 'bool' },
  { name: 'tty', short: 't', type: 'bool' },
  { name: 'name', type: 'string' },
  { name: 'env', short: 'e', type: 'list' },
  { name: 'publish', short: 'p', type: 'list' },
  { name: 'last', short: 'n', type: 'int', default: -1 },
  { name: 'network', type: 'string' },
  { name: 'net', type: 'string', aliasOf: 'network' },
  { name: 'sig-proxy', type: 'bool', default: true },
];

test('combined short booleans, values attached or separate', () => {
  const p = parseFlags(specs, ['-dit', '-eA=1', '-e', 'B=2', '-p=80', '--name=web', '--net', 'host', 'img']);
  assert.equal(p.values.detach, true);
  assert.equal(p.values.interactive, true);
  assert.equal(p.values.tty, true);
  assert.deepEqual(p.values.env, ['A=1', 'B=2']);
  assert.deepEqual(p.values.publish, ['80']);
  assert.equal(p.values.name, 'web');
  assert.equal(p.values.network, 'host');
  assert.ok(p.changed.has('network'));
  assert.deepEqual(p.args, ['img']);
});

test('a short value flag at the end of a group takes the rest or the next arg', () => {
  assert.deepEqual(parseFlags(specs, ['-ite', 'X=1']).values.env, ['X=1']);
  assert.deepEqual(parseFlags(specs, ['-iteX=1']).values.env, ['X=1']);
});

test('defaults, bool values and ints', () => {
  const p = parseFlags(specs, ['--sig-proxy=false', '-n', '3']);
  assert.equal(p.values['sig-proxy'], false);
  assert.equal(p.values.last, 3);
  assert.equal(parseFlags(specs, []).values.last, -1);
  assert.equal(parseFlags(specs, []).values['sig-proxy'], true);
});

test('non-interspersed parsing stops at the first positional', () => {
  const p = parseFlags(specs, ['-d', 'busybox', 'ls', '-la', '--name', 'x'], { interspersed: false });
  assert.equal(p.values.name, '');
  assert.deepEqual(p.args, ['busybox', 'ls', '-la', '--name', 'x']);
});

test('interspersed parsing collects flags after positionals; -- ends flags', () => {
  const p = parseFlags(specs, ['a', '-d', 'b', '--', '-t', 'c']);
  assert.equal(p.values.detach, true);
  assert.equal(p.values.tty, false);
  assert.deepEqual(p.args, ['a', 'b', '-t', 'c']);
  assert.deepEqual(parseFlags(specs, ['-']).args, ['-']);
});

test('pflag error messages', () => {
  assert.throws(() => parseFlags(specs, ['--nope']), new FlagError('unknown flag: --nope'));
  assert.throws(() => parseFlags(specs, ['-x']), new FlagError("unknown shorthand flag: 'x' in -x"));
  assert.throws(() => parseFlags(specs, ['-dx']), new FlagError("unknown shorthand flag: 'x' in -dx"));
  assert.throws(() => parseFlags(specs, ['--name']), new FlagError('flag needs an argument: --name'));
  assert.throws(() => parseFlags(specs, ['-e']), new FlagError("flag needs an argument: 'e' in -e"));
  assert.throws(
    () => parseFlags(specs, ['-n', 'abc']),
    new FlagError('invalid argument "abc" for "-n, --last" flag: strconv.ParseInt: parsing "abc": invalid syntax'),
  );
  assert.throws(
    () => parseFlags(specs, ['--detach=maybe']),
    new FlagError(
      'invalid argument "maybe" for "-d, --detach" flag: strconv.ParseBool: parsing "maybe": invalid syntax',
    ),
  );
});

test('-h means help where a command does not define it', () => {
  assert.equal(parseFlags(specs, ['-h']).values.help, true);
  const withH = parseFlags([...specs, { name: 'hostname', short: 'h', type: 'string' }], ['-h', 'box']);
  assert.equal(withH.values.hostname, 'box');
});
