// Logging drivers through the docker CLI against berthd, with the servers the tests start on
// loopback or unix sockets: validation in dockerd's words, local (rotated, compressed, read
// by `docker logs`), syslog in its four formats over udp/tcp/tcp+tls/unix/unixgram, fluentd's
// forward protocol (acks, EventTime, partial lines), GELF over UDP (chunked, compressed) and
// TCP, dual logging (`docker logs` for drivers that cannot be read back), daemon defaults.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import {
  hasDockerCli,
  isRoot,
  runCli,
  startDaemon,
  type TestDaemon,
  useDaemon,
  importBusybox,
  mountsUnder,
  shimsOf,
} from './helpers/daemon.ts';
import { freePort } from './helpers/registry.ts';
import {
  fluentServer,
  gelfUdpServer,
  selfSignedCert,
  tcpServer,
  tlsServer,
  udpServer,
  unixgramServer,
  unixStreamServer,
  waitUntil,
} from './helpers/log-servers.ts';
import { EventTime } from '../src/logs/msgpack.ts';

const skip = !isRoot ? 'needs root' : !hasDockerCli() ? 'needs the docker CLI' : false;

describe('logging drivers', { skip }, () => {
  let d!: TestDaemon;
  useDaemon((x) => (d = x));
  const docker = async (args: string[], expect: number | null = 0) => {
    const r = await runCli('docker', d, args, undefined, 120_000);
    if (expect !== null) assert.equal(r.code, expect, `docker ${args.join(' ')}: ${r.stdout}\n${r.stderr}`);
    return r;
  };
  const errorOf = async (args: string[]) => {
    const r = await docker(args, null);
    assert.notEqual(r.code, 0, `docker ${args.join(' ')} should fail`);
    return /Error response from daemon: (.*)/.exec(r.stderr)?.[1] ?? r.stderr;
  };
  const idOf = async (name: string) => (await docker(['inspect', '-f', '{{.Id}}', name])).stdout.trim();
  const waitExit = (name: string) => docker(['wait', name]);

  test("unknown drivers and bad options get dockerd's errors, at create or at start as dockerd", async () => {
    const port = await freePort(); // nothing listens there
    const cases: [string[], string][] = [
      [['--log-driver', 'foo'], 'error looking up logging plugin foo: plugin "foo" not found'],
      [['--log-driver', 'local', '--log-opt', 'foo=1'], "unknown log opt 'foo' for log driver local"],
      [['--log-opt', 'mode=x'], 'logger: logging mode not supported: x'],
      [
        ['--log-opt', 'max-buffer-size=1m'],
        "logger: max-buffer-size option is only supported with 'mode=non-blocking'",
      ],
      [
        ['--log-opt', 'mode=non-blocking', '--log-opt', 'max-buffer-size=xx'],
        "error parsing option max-buffer-size: invalid size: 'xx'",
      ],
      [['--log-driver', 'syslog', '--log-opt', 'syslog-address=foo://x'], "unsupported scheme: 'foo'"],
      [
        ['--log-driver', 'syslog', '--log-opt', 'syslog-address=unix:///nonexistent/log'],
        'stat /nonexistent/log: no such file or directory',
      ],
      [['--log-driver', 'syslog', '--log-opt', 'syslog-facility=nope'], 'invalid syslog facility'],
      [['--log-driver', 'syslog', '--log-opt', 'syslog-format=nope'], 'Invalid syslog format'],
      [['--log-driver', 'gelf'], 'gelf-address is a required parameter'],
      [['--log-driver', 'gelf', '--log-opt', 'gelf-address=http://x:1'], 'gelf: endpoint needs to be TCP or UDP'],
      [
        [
          '--log-driver',
          'gelf',
          '--log-opt',
          'gelf-address=tcp://127.0.0.1:1',
          '--log-opt',
          'gelf-compression-type=gzip',
        ],
        'compression is only supported on UDP',
      ],
      [
        ['--log-driver', 'gelf', '--log-opt', 'gelf-address=udp://127.0.0.1:1', '--log-opt', 'gelf-compression-type=x'],
        'unknown value "x" for log opt "gelf-compression-type" for gelf log driver',
      ],
      [
        ['--log-driver', 'fluentd', '--log-opt', 'fluentd-address=x:y'],
        'invalid fluentd-address (x:y): invalid port: strconv.ParseUint: parsing "y": invalid syntax',
      ],
      [['--log-driver', 'journald', '--log-opt', 'max-size=1m'], "unknown log opt 'max-size' for journald log driver"],
      [['--log-driver', 'json-file', '--log-opt', 'cache-disabled=x'], 'invalid value for option cache-disabled: x'],
    ];
    for (const [opts, msg] of cases)
      assert.equal(await errorOf(['create', ...opts, 'busybox', 'true']), msg, opts.join(' '));

    // Values dockerd reads only when the driver opens: the container is created, its start fails.
    const starts: [string[], string][] = [
      [
        ['--log-driver', 'local', '--log-opt', 'max-size=x'],
        "failed to initialize logging driver: invalid value for max-size: x: invalid size: 'x'",
      ],
      [
        ['--log-driver', 'local', '--log-opt', 'max-file=1'],
        'failed to initialize logging driver: compression cannot be enabled when max file count is 1',
      ],
      [
        ['--log-driver', 'syslog', '--log-opt', `syslog-address=tcp://127.0.0.1:${port}`],
        `failed to initialize logging driver: dial tcp 127.0.0.1:${port}: connect: connection refused`,
      ],
      [
        ['--log-driver', 'fluentd', '--log-opt', `fluentd-address=127.0.0.1:${port}`],
        `failed to initialize logging driver: dial tcp 127.0.0.1:${port}: connect: connection refused`,
      ],
      [
        ['--log-driver', 'gelf', '--log-opt', `gelf-address=tcp://127.0.0.1:${port}`],
        `failed to initialize logging driver: gelf: cannot connect to GELF endpoint: 127.0.0.1:${port} dial tcp 127.0.0.1:${port}: connect: connection refused`,
      ],
    ];
    if (!existsSync('/run/systemd/journal/socket'))
      starts.push([
        ['--log-driver', 'journald'],
        'failed to initialize logging driver: journald is not enabled on this host',
      ]);
    for (const [opts, msg] of starts) {
      const id = (await docker(['create', ...opts, 'busybox', 'echo', 'hi'])).stdout.trim();
      assert.equal(await errorOf(['start', id]), msg, opts.join(' '));
      assert.equal((await docker(['inspect', '-f', '{{.State.Status}}', id])).stdout.trim(), 'created');
      await docker(['rm', id]);
    }
    // A run with --rm whose start fails leaves nothing behind.
    assert.match(
      await errorOf(['run', '--rm', '--log-driver', 'local', '--log-opt', 'max-size=x', 'busybox', 'true']),
      /max-size/,
    );
    // fluentd-async: the start does not wait for the server; the records are dropped.
    await docker([
      'run',
      '--rm',
      '--log-driver',
      'fluentd',
      '--log-opt',
      `fluentd-address=127.0.0.1:${port}`,
      '--log-opt',
      'fluentd-async=true',
      'busybox',
      'echo',
      'x',
    ]);
    assert.equal((await docker(['ps', '-aq'])).stdout.trim(), '');
    // none: nothing to read.
    await docker(['run', '--name', 'quiet', '--log-driver', 'none', 'busybox', 'echo', 'hi']);
    assert.equal(await errorOf(['logs', 'quiet']), 'configured logging driver does not support reading');
    await docker(['rm', 'quiet']);
  });

  test("local: Docker's rotated, compressed format, read back by docker logs (tail, since, follow)", async () => {
    // stderr comes last: records are written in the order berthd reads the two pipes, so an
    // early stderr line could land in a file that rotation deletes.
    const script =
      'i=0; while [ $i -lt 300 ]; do echo line-$i; i=$((i+1)); done; head -c 20000 /dev/zero | tr "\\0" x; echo; sleep 0.5; echo err >&2; sleep 1; echo late';
    await docker([
      'run',
      '-d',
      '--name',
      'loc',
      '--log-driver',
      'local',
      '--log-opt',
      'max-size=4k',
      '--log-opt',
      'max-file=4',
      'busybox',
      'sh',
      '-c',
      script,
    ]);
    const follow = await docker(['logs', '-f', 'loc']); // ends when the container does
    const out = follow.stdout.split('\n');
    assert.equal(out.at(-2), 'late');
    assert.equal(out.at(-3), 'x'.repeat(20000));
    assert.equal(follow.stderr, 'err\n');
    // Following saw the lines as they were written, across the rotations: none lost or repeated.
    const seen = out.filter((l) => l.startsWith('line-')).map((l) => Number(l.slice(5)));
    assert.deepEqual(
      seen,
      Array.from({ length: seen.length }, (_, k) => 300 - seen.length + k),
    );
    // Afterwards: the two parts of the long line and `late` have a file each (they do not fit
    // 4k together), so the lines left are those of one ~4k file — the last ones, in order.
    const kept = (await docker(['logs', 'loc'])).stdout.split('\n').filter((l) => l.startsWith('line-'));
    const nums = kept.map((l) => Number(l.slice(5)));
    assert.ok(nums.length > 10 && nums.length < 300, `${nums.length} lines kept`);
    assert.deepEqual(
      nums,
      Array.from({ length: nums.length }, (_, k) => 300 - nums.length + k),
    );
    const tail = await docker(['logs', '--tail', '3', 'loc']);
    // Records, not lines: the long line's last part, then err and late.
    assert.deepEqual([tail.stdout, tail.stderr], [`${'x'.repeat(3616)}\nlate\n`, 'err\n']);
    const ts = await docker(['logs', '--timestamps', '--tail', '1', 'loc']);
    assert.match(ts.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z late\n$/);
    const since = ts.stdout.slice(0, 30);
    assert.equal((await docker(['logs', '--since', since, 'loc'])).stdout, 'late\n');
    // On disk as dockerd lays it out: local-logs/container.log and gzipped rotations.
    const dir = join(d.dataRoot, 'containers', await idOf('loc'), 'local-logs');
    const files = readdirSync(dir).sort();
    assert.deepEqual(files, ['container.log', 'container.log.1.gz', 'container.log.2.gz', 'container.log.3.gz']);
    assert.ok(gunzipSync(readFileSync(join(dir, 'container.log.1.gz'))).length > 0);
    const insp = JSON.parse((await docker(['inspect', 'loc'])).stdout)[0];
    assert.equal(insp.LogPath, '');
    assert.deepEqual(insp.HostConfig.LogConfig, { Type: 'local', Config: { 'max-size': '4k', 'max-file': '4' } });
    await docker(['rm', 'loc']);
  });

  test('syslog: udp (default format), tcp (rfc5424, tag template, facility), tcp+tls (rfc5424micro, octet counting)', async () => {
    const udp = await udpServer();
    const tcp = await tcpServer();
    const cert = selfSignedCert();
    const tls = await tlsServer(cert);
    try {
      await docker([
        'run',
        '-d',
        '--name',
        'sl1',
        '--log-driver',
        'syslog',
        '--log-opt',
        `syslog-address=udp://127.0.0.1:${udp.port}`,
        'busybox',
        'sh',
        '-c',
        'echo out; echo err >&2',
      ]);
      await waitExit('sl1');
      const id = await idOf('sl1');
      await waitUntil(() => udp.datagrams.length >= 2, 'two syslog datagrams');
      const dg = udp.datagrams.map((b) => b.toString()).sort();
      const stamp = '[A-Z][a-z]{2} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d';
      assert.match(dg[0], new RegExp(`^<27>${stamp} ${id.slice(0, 12)}\\[${d.proc.pid}\\]: err\\n$`));
      assert.match(dg[1], new RegExp(`^<30>${stamp} ${id.slice(0, 12)}\\[${d.proc.pid}\\]: out\\n$`));
      // Dual logging: docker logs reads the local cache.
      const logs = await docker(['logs', 'sl1']);
      assert.deepEqual([logs.stdout, logs.stderr], ['out\n', 'err\n']);

      await docker([
        'run',
        '--rm',
        '--name',
        'sl2',
        '--log-driver',
        'syslog',
        '--log-opt',
        `syslog-address=tcp://127.0.0.1:${tcp.port}`,
        '--log-opt',
        'syslog-format=rfc5424',
        '--log-opt',
        'tag={{.Name}}/{{.ImageName}}',
        '--log-opt',
        'syslog-facility=local0',
        'busybox',
        'sh',
        '-c',
        'echo one; echo two',
      ]);
      await waitUntil(() => tcp.all().toString().split('\n').length > 2, 'two tcp syslog lines');
      const lines = tcp.all().toString().split('\n').filter(Boolean);
      const rfc3339 = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(?:Z|[+-]\\d\\d:\\d\\d)';
      for (const [i, word] of ['one', 'two'].entries())
        assert.match(
          lines[i],
          new RegExp(`^<134>1 ${rfc3339} ${hostname()} sl2/busybox ${d.proc.pid} sl2/busybox - ${word}$`),
        );

      await docker([
        'run',
        '--rm',
        '--log-driver',
        'syslog',
        '--log-opt',
        `syslog-address=tcp+tls://127.0.0.1:${tls.port}`,
        '--log-opt',
        `syslog-tls-ca-cert=${cert.certPath}`,
        '--log-opt',
        'syslog-format=rfc5424micro',
        'busybox',
        'echo',
        'secure',
      ]);
      await waitUntil(() => tls.all().length > 0 && tls.all().toString().endsWith('\n'), 'a tls syslog message');
      const framed = tls.all().toString();
      const m =
        /^(\d+) (<30>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(?:Z|[+-]\d\d:\d\d) \S+ [0-9a-f]{12} \d+ [0-9a-f]{12} - secure\n)$/.exec(
          framed,
        );
      assert.ok(m, framed);
      assert.equal(Number(m[1]), Buffer.byteLength(m[2]));
      // A server whose certificate is not trusted: the start fails.
      const bad = await errorOf([
        'run',
        '--rm',
        '--log-driver',
        'syslog',
        '--log-opt',
        `syslog-address=tcp+tls://127.0.0.1:${tls.port}`,
        'busybox',
        'true',
      ]);
      assert.match(bad, /^failed to initialize logging driver: tls: /);
      // cache-disabled: dockerd's error for reading.
      await docker([
        'run',
        '--name',
        'sl3',
        '--log-driver',
        'syslog',
        '--log-opt',
        `syslog-address=udp://127.0.0.1:${udp.port}`,
        '--log-opt',
        'cache-disabled=true',
        'busybox',
        'echo',
        'x',
      ]);
      assert.equal(await errorOf(['logs', 'sl3']), 'configured logging driver does not support reading');
      await docker(['rm', 'sl1', 'sl3']);
    } finally {
      await Promise.all([udp.close(), tcp.close(), tls.close()]);
      rmSync(cert.dir, { recursive: true, force: true });
    }
  });

  test('syslog: unix stream (rfc3164) and unixgram sockets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-syslog-'));
    const stream = await unixStreamServer(join(dir, 'stream.sock'));
    const gram = await unixgramServer(join(dir, 'gram.sock'));
    try {
      await docker([
        'run',
        '--rm',
        '--log-driver',
        'syslog',
        '--log-opt',
        `syslog-address=unix://${join(dir, 'stream.sock')}`,
        '--log-opt',
        'syslog-format=rfc3164',
        '--log-opt',
        'tag=t1',
        'busybox',
        'echo',
        'via-stream',
      ]);
      await waitUntil(() => stream.all().toString().endsWith('\n'), 'a unix stream message');
      // rfc3164: with the host's name.
      assert.match(
        stream.all().toString(),
        new RegExp(
          `^<30>[A-Z][a-z]{2} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d ${hostname()} t1\\[${d.proc.pid}\\]: via-stream\\n$`,
        ),
      );
      await docker([
        'run',
        '--rm',
        '--log-driver',
        'syslog',
        '--log-opt',
        `syslog-address=unixgram://${join(dir, 'gram.sock')}`,
        '--log-opt',
        'tag=t2',
        'busybox',
        'sh',
        '-c',
        'echo a; echo b',
      ]);
      await waitUntil(() => gram.datagrams.length >= 2, 'two unixgram datagrams');
      assert.deepEqual(
        gram.datagrams.map((b) => / t2\[\d+\]: (.*)\n$/.exec(b.toString())?.[1]),
        ['a', 'b'],
      );
    } finally {
      await Promise.all([stream.close(), gram.close()]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('fluentd: forward protocol records with acks, EventTime, labels/env and partial lines', async () => {
    const srv = await fluentServer({ ack: true });
    try {
      await docker([
        'run',
        '--name',
        'fl1',
        '--label',
        'team=blue',
        '-e',
        'VERSION=3',
        '--log-driver',
        'fluentd',
        '--log-opt',
        `fluentd-address=127.0.0.1:${srv.port}`,
        '--log-opt',
        'tag=app.{{.Name}}',
        '--log-opt',
        'fluentd-request-ack=true',
        '--log-opt',
        'fluentd-sub-second-precision=true',
        '--log-opt',
        'labels=team',
        '--log-opt',
        'env=VERSION',
        'busybox',
        'sh',
        '-c',
        'echo out; echo err >&2; head -c 20000 /dev/zero | tr "\\0" x; echo',
      ]);
      const id = await idOf('fl1');
      await waitUntil(() => srv.messages.length >= 4, 'four fluentd messages');
      const byLog = (p: (r: Record<string, string>) => boolean) => srv.messages.find((m) => p(m.record))!;
      const out = byLog((r) => r.log === 'out');
      assert.equal(out.tag, 'app.fl1');
      assert.ok(out.time instanceof EventTime, 'sub-second precision sends an EventTime');
      assert.ok(out.option.chunk, 'request-ack sends a chunk id');
      assert.deepEqual(out.record, {
        container_id: id,
        container_name: '/fl1',
        source: 'stdout',
        log: 'out',
        team: 'blue',
        VERSION: '3',
      });
      assert.equal(byLog((r) => r.log === 'err').record.source, 'stderr');
      const parts = srv.messages.filter((m) => m.record.partial_message === 'true');
      assert.deepEqual(
        parts.map((m) => [m.record.log.length, m.record.partial_ordinal, m.record.partial_last]),
        [
          [16384, '1', 'false'],
          [3616, '2', 'true'],
        ],
      );
      assert.equal(parts[0].record.partial_id, parts[1].record.partial_id);
      const logs = await docker(['logs', 'fl1']);
      assert.equal(logs.stdout, `out\n${'x'.repeat(20000)}\n`);
      await docker(['rm', 'fl1']);
    } finally {
      await srv.close();
    }
  });

  test('gelf: UDP gzip (chunked when large), zlib and none; TCP with NUL-ended messages', async () => {
    const u = await gelfUdpServer();
    const t = await tcpServer();
    try {
      // Random text does not compress below one 1420-byte datagram: it arrives in chunks.
      await docker([
        'run',
        '--name',
        'g1',
        '--log-driver',
        'gelf',
        '--log-opt',
        `gelf-address=udp://127.0.0.1:${u.port}`,
        '--label',
        'team=red',
        '--log-opt',
        'labels=team',
        'busybox',
        'sh',
        '-c',
        'echo hello; echo oops >&2; head -c 6000 /dev/urandom | base64 -w0; echo',
      ]);
      const id = await idOf('g1');
      await waitUntil(() => u.messages.length >= 3, 'three GELF messages');
      const hello = u.messages.find((m) => m.short_message === 'hello')!;
      assert.equal(hello.version, '1.1');
      assert.equal(hello.level, 6);
      assert.equal(hello._container_id, id);
      assert.equal(hello._container_name, 'g1');
      assert.equal(hello._image_name, 'busybox');
      assert.equal(hello._command, 'sh -c echo hello; echo oops >&2; head -c 6000 /dev/urandom | base64 -w0; echo');
      assert.equal(hello._tag, id.slice(0, 12));
      assert.equal(hello._team, 'red');
      assert.match(String(hello.timestamp), /^\d{10}(\.\d{1,3})?$/);
      assert.equal(u.messages.find((m) => m.short_message === 'oops')!.level, 3);
      assert.ok(
        u.messages.some((m) => m.short_message.length === 8000),
        'the long line arrived whole',
      );
      assert.ok(
        u.raw.some((b) => b[0] === 0x1e && b[1] === 0x0f),
        'it came in GELF chunks',
      );
      assert.ok(
        u.raw.filter((b) => b[0] !== 0x1e).every((b) => b[0] === 0x1f),
        'gzip by default',
      );
      for (const type of ['zlib', 'none']) {
        const before = u.raw.length;
        await docker([
          'run',
          '--rm',
          '--log-driver',
          'gelf',
          '--log-opt',
          `gelf-address=udp://127.0.0.1:${u.port}`,
          '--log-opt',
          `gelf-compression-type=${type}`,
          'busybox',
          'echo',
          type,
        ]);
        await waitUntil(() => u.messages.some((m) => m.short_message === type), `a ${type} message`);
        assert.equal(u.raw[before][0], type === 'zlib' ? 0x78 : 0x7b);
      }
      await docker([
        'run',
        '--rm',
        '--log-driver',
        'gelf',
        '--log-opt',
        `gelf-address=tcp://127.0.0.1:${t.port}`,
        'busybox',
        'sh',
        '-c',
        'echo a; echo b',
      ]);
      await waitUntil(() => t.all().filter((x) => x === 0).length >= 2, 'two TCP GELF messages');
      const msgs = t
        .all()
        .toString()
        .split('\0')
        .filter(Boolean)
        .map((s) => JSON.parse(s));
      assert.deepEqual(
        msgs.map((m) => m.short_message),
        ['a', 'b'],
      );
      await docker(['rm', 'g1']);
    } finally {
      await Promise.all([u.close(), t.close()]);
    }
  });
});

describe('daemon.json log-driver and log-opts', { skip }, () => {
  let d!: TestDaemon;
  before(async () => {
    d = await startDaemon({
      config: { 'log-driver': 'local', 'log-opts': { 'max-size': '2k', 'max-file': '2', compress: 'false' } },
    });
    await importBusybox(d);
  });
  after(async () => {
    await d?.cleanup();
  });

  test("become every container's defaults; a container's own driver keeps its own options", async () => {
    const info = await runCli('docker', d, ['info', '--format', '{{.LoggingDriver}} {{json .Plugins.Log}}']);
    assert.equal(info.stdout.trim(), 'local ["fluentd","gelf","journald","json-file","local","syslog"]');
    const r = await runCli('docker', d, ['run', '--name', 'dflt', 'busybox', 'echo', 'hi']);
    assert.equal(r.stdout, 'hi\n');
    const lc = JSON.parse(
      (await runCli('docker', d, ['inspect', '-f', '{{json .HostConfig.LogConfig}}', 'dflt'])).stdout,
    );
    assert.deepEqual(lc, { Type: 'local', Config: { 'max-size': '2k', 'max-file': '2', compress: 'false' } });
    assert.equal((await runCli('docker', d, ['logs', 'dflt'])).stdout, 'hi\n');
    await runCli('docker', d, ['run', '--name', 'own', '--log-driver', 'json-file', 'busybox', 'echo', 'json']);
    const lb = JSON.parse(
      (await runCli('docker', d, ['inspect', '-f', '{{json .HostConfig.LogConfig}}', 'own'])).stdout,
    );
    assert.deepEqual(lb, { Type: 'json-file', Config: {} });
    assert.equal((await runCli('docker', d, ['logs', 'own'])).stdout, 'json\n');
  });

  test("a bad default stops berthd at start-up with dockerd's message, before it starts anything", async () => {
    const root = mkdtempSync(join(tmpdir(), 'berth-test-'));
    const bad = await startDaemon({
      root,
      config: { 'log-driver': 'local', 'log-opts': { 'syslog-address': 'udp://x:1' } },
    }).then(
      async (x) => {
        await x.cleanup();
        return undefined;
      },
      (err: Error) => err.message,
    );
    const left = { shims: shimsOf(join(root, 'exec')), mounts: mountsUnder(root) };
    for (const pid of left.shims) process.kill(pid, 'SIGKILL');
    rmSync(root, { recursive: true, force: true });
    assert.match(bad ?? '', /failed to set log opts: unknown log opt 'syslog-address' for log driver local/);
    // Checked before the shim pool, networking or any store starts: nothing to undo.
    assert.deepEqual(left, { shims: [], mounts: [] });
  });
});
