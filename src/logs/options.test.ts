import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BERTH_DEFAULTS, fromHumanSize, parseLogOpts } from './options.ts';
import { BerthError } from '../common/errors.ts';

const err = (fn: () => unknown, message: string) =>
  assert.throws(fn, (e: unknown) => e instanceof BerthError && e.kind === 'invalid-argument' && e.message === message);

test('sizes use go-units FromHumanSize (decimal)', () => {
  const cases: [string, number][] = [
    ['10k', 10_000],
    ['20m', 20_000_000],
    ['1g', 1_000_000_000],
    ['10KB', 10_000],
    ['10kb', 10_000],
    ['10KiB', 10_000],
    ['1024', 1024],
    ['512b', 512],
    ['1.5k', 1500],
    ['10 m', 10_000_000],
    ['1M', 1_000_000],
  ];
  for (const [s, n] of cases) assert.equal(fromHumanSize(s), n, s);
  err(() => fromHumanSize('abc'), "invalid size: 'abc'");
  err(() => fromHumanSize('10x'), "invalid suffix: 'x'");
  err(() => fromHumanSize('10kbb'), "invalid suffix: 'kbb'");
  err(() => fromHumanSize('10bk'), "invalid suffix: 'bk'");
  err(() => fromHumanSize('-1'), "invalid size: '-1'");
  err(() => fromHumanSize('1..2k'), 'strconv.ParseFloat: parsing "1..2": invalid syntax');
});

test('parseLogOpts: dockerd messages and defaults', () => {
  assert.deepEqual(parseLogOpts({}, BERTH_DEFAULTS), { maxSize: 20_000_000, maxFile: 5, compress: false });
  assert.deepEqual(parseLogOpts({}), { maxSize: -1, maxFile: 1, compress: false });
  assert.deepEqual(parseLogOpts({ 'max-size': '1k', 'max-file': '3' }, BERTH_DEFAULTS), {
    maxSize: 1000,
    maxFile: 3,
    compress: false,
  });
  assert.deepEqual(
    parseLogOpts(
      new Map([
        ['max-file', '2'],
        ['tag', '{{.Name}}'],
      ]),
      BERTH_DEFAULTS,
    ),
    { maxSize: 20_000_000, maxFile: 2, compress: false },
  );
  err(() => parseLogOpts({ 'max-sise': '1k' }), "unknown log opt 'max-sise' for json-file log driver");
  err(() => parseLogOpts({ 'max-size': '0' }), 'max-size must be a positive number');
  err(() => parseLogOpts({ 'max-file': '0' }), 'max-file cannot be less than 1');
  err(() => parseLogOpts({ 'max-file': 'x' }), 'strconv.Atoi: parsing "x": invalid syntax');
  err(
    () => parseLogOpts({ compress: 'true' }),
    'compress cannot be true when max-file is less than 2 or max-size is not set',
  );
  err(() => parseLogOpts({ compress: 'yes' }), 'strconv.ParseBool: parsing "yes": invalid syntax');
  assert.deepEqual(parseLogOpts({ compress: 'false', labels: 'a', env: 'B', 'env-regex': '.*', 'labels-regex': 'x' }), {
    maxSize: -1,
    maxFile: 1,
    compress: false,
  });
  assert.deepEqual(parseLogOpts({ 'max-size': '1k', 'max-file': '3', compress: 'true' }), {
    maxSize: 1000,
    maxFile: 3,
    compress: true,
  });
});
