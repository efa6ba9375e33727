// Dockerfile builds through berth build and the real docker CLI's legacy builder
// (DOCKER_BUILDKIT=0) against berthd: the user list of issue 6, the cache, bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasDockerCli, isRoot, runCli, type TestDaemon, useDaemon } from './helpers/daemon.ts';

process.env.DOCKER_BUILDKIT = '0'; // the legacy builder protocol, as the issue asks
let d: TestDaemon;
useDaemon((x) => (d = x));

function ctxDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-build-'));
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), body);
  }
  return dir;
}

const WEB = `FROM busybox
ARG V=1
ENV APP=/app
WORKDIR /app
COPY a.txt ./
COPY sub/ /app/sub/
RUN echo "v=$V" > /app/v && cat a.txt
EXPOSE 8080
LABEL org.test=yes
CMD ["cat", "/app/v"]
`;

for (const cli of ['berth', 'docker'] as const) {
  const skip = !isRoot ? 'needs root' : cli === 'docker' && !hasDockerCli() ? 'docker CLI not installed' : false;
  const run = async (args: string[], input?: string | Buffer, expect = 0) => {
    const r = await runCli(cli, d, cli === 'docker' ? args : args, input, 120_000);
    assert.equal(r.code, expect, `${cli} ${args.join(' ')}: ${r.stdout}\n${r.stderr}`);
    return r;
  };

  test(`${cli}: build, rebuild all cached, run the image, history`, { skip }, async () => {
    const dir = ctxDir({ Dockerfile: WEB, 'a.txt': `hello a\n`, 'sub/who': cli, 'sub/x': 'x\n' });
    const tag = `web-${cli}:1`;
    const first = await run(['build', '-t', tag, dir]);
    assert.match(first.stdout, /Step 1\/10 : FROM busybox\n ---> [0-9a-f]{12}\n/);
    assert.match(first.stdout, / ---> Running in [0-9a-f]{12}\nhello a\n/);
    assert.match(first.stdout, /Successfully built [0-9a-f]{12}\nSuccessfully tagged web-/);
    const again = await run(['build', '-t', tag, dir]);
    assert.equal((again.stdout.match(/Using cache/g) ?? []).length, 9, again.stdout);
    const id1 = /Successfully built ([0-9a-f]{12})/.exec(first.stdout)![1];
    const id2 = /Successfully built ([0-9a-f]{12})/.exec(again.stdout)![1];
    assert.equal(id1, id2);
    assert.equal((await run(['run', '--rm', tag])).stdout, 'v=1\n');
    const insp = JSON.parse((await run(['image', 'inspect', tag])).stdout)[0];
    assert.equal(insp.Config.WorkingDir, '/app');
    assert.deepEqual(insp.Config.Cmd, ['cat', '/app/v']);
    assert.equal(insp.Config.Labels['org.test'], 'yes');
    assert.ok(insp.Config.Env.includes('APP=/app'));
    assert.ok(insp.Config.ExposedPorts['8080/tcp']);
    const hist = (await run(['history', '--no-trunc', '--format', '{{.CreatedBy}}', tag])).stdout;
    assert.match(hist, /^\/bin\/sh -c #\(nop\) {2}CMD \["cat","\/app\/v"\]\n/);
    assert.match(hist, /\|1 V=1 \/bin\/sh -c echo "v=\$V" > \/app\/v && cat a.txt/);
    // A changed file: only the steps from its COPY on rebuild.
    writeFileSync(join(dir, 'sub/x'), 'changed\n');
    const third = await run(['build', '-t', tag, dir]);
    assert.equal((third.stdout.match(/Using cache/g) ?? []).length, 4, third.stdout);
    // Build args, target, label, no-cache, -f from elsewhere.
    const ci = ctxDir({
      'ci/Dockerfile':
        'FROM busybox AS base\nARG V=0\nRUN echo base-$V > /b\nFROM base AS test\nARG V\nRUN echo test-$V >> /b\nCMD ["cat","/b"]\nFROM busybox\nRUN false\n',
    });
    await run([
      'build',
      '--build-arg',
      'V=2',
      '--target',
      'test',
      '-f',
      join(ci, 'ci/Dockerfile'),
      '--label',
      'a=b',
      '--no-cache',
      '-t',
      `ci-${cli}`,
      ci,
    ]);
    assert.equal((await run(['run', '--rm', `ci-${cli}`])).stdout, 'base-2\ntest-2\n');
    const ci2 = JSON.parse((await run(['image', 'inspect', `ci-${cli}`])).stdout)[0];
    assert.equal(ci2.Config.Labels.a, 'b');
  });

  test(`${cli}: context and Dockerfile on stdin, multi-stage COPY --from, .dockerignore`, { skip }, async () => {
    const { execFileSync } = await import('node:child_process');
    const dir = ctxDir({
      Dockerfile:
        'FROM busybox AS b\nRUN mkdir -p /out && echo built > /out/app\nFROM busybox\nCOPY --from=b /out/app /usr/bin/app.txt\nCOPY . /ctx/\nCMD ["sh","-c","cat /usr/bin/app.txt; ls -a /ctx"]\n',
      '.dockerignore': 'secret*\nDockerfile\n',
      'secret.txt': 's',
      'keep.txt': 'k',
    });
    const tar = execFileSync('tar', ['-C', dir, '-c', '.']);
    await run(['build', '-t', `stdin-${cli}`, '-'], tar);
    assert.equal((await run(['run', '--rm', `stdin-${cli}`])).stdout, 'built\n.\n..\n.dockerignore\nkeep.txt\n');
    await run(['build', '-t', `bare-${cli}`, '-'], 'FROM busybox\nCMD ["echo","bare"]\nLABEL cli=' + cli + '\n');
    assert.equal((await run(['run', '--rm', `bare-${cli}`])).stdout, 'bare\n');
  });

  test(`${cli}: -f names a Dockerfile outside the context`, { skip }, async () => {
    // The docker CLI adds such a Dockerfile (and a .dockerignore) to the context tar it
    // rewrites, which then ends inside the last entry's padding.
    const dir = ctxDir({ 'in.txt': 'inside\n' });
    const df = join(ctxDir({}), 'x.Dockerfile');
    writeFileSync(df, 'FROM busybox\nCOPY in.txt /in.txt\nCMD ["cat","/in.txt"]\n');
    await run(['build', '-f', df, '-t', `outside-${cli}`, dir]);
    assert.equal((await run(['run', '--rm', `outside-${cli}`])).stdout, 'inside\n');
  });

  test(`${cli}: bad input gives clear errors`, { skip }, async () => {
    const bad = ctxDir({ Dockerfile: 'FROM busybox\nRUN true\n\n\n\n\nRUNN x\n' });
    const r = await run(['build', bad], undefined, 1);
    assert.match(r.stderr, /Dockerfile:7: unknown instruction: RUNN/i);
    const up = ctxDir({ Dockerfile: 'FROM busybox\nCOPY ../x /x\n' });
    assert.match((await run(['build', up], undefined, 1)).stderr + '', /outside the build context/);
    const link = ctxDir({ Dockerfile: 'FROM busybox\nCOPY l /x\n' });
    symlinkSync('/etc/passwd', join(link, 'l'));
    assert.match((await run(['build', link], undefined, 1)).stderr, /not found|does not exist/);
    const fail = ctxDir({ Dockerfile: 'FROM busybox\nRUN exit 3\n' });
    const f = await run(['build', fail], undefined, cli === 'docker' ? 3 : 3);
    assert.match(f.stderr + f.stdout, /returned a non-zero code: 3/);
    const ps = JSON.parse((await d.api('GET', '/containers/json?all=1')).body.toString());
    assert.equal(ps.length, 0, 'no build container is left');
  });
}
test('berthd SIGKILLed during a RUN: no build container or spool left, completed steps reused', {
  skip: !isRoot && 'needs root',
}, async () => {
  const { readdirSync } = await import('node:fs');
  const dir = ctxDir({
    Dockerfile: 'FROM busybox\nCOPY f /f\nRUN echo done-one > /one\nRUN sleep 600\n',
    f: 'kill-test\n',
  });
  const building = runCli('berth', d, ['build', '-t', 'killed', dir], undefined, 120_000);
  for (let i = 0; ; i++) {
    const ps = JSON.parse((await d.api('GET', '/containers/json')).body.toString()) as { Command: string }[];
    if (ps.some((c) => c.Command.includes('sleep 600'))) break;
    assert.ok(i < 900, 'the RUN never started');
    await new Promise((r) => setTimeout(r, 100));
  }
  await d.stop('SIGKILL');
  const r = await building;
  assert.notEqual(r.code, 0);
  await d.start();
  const all = JSON.parse((await d.api('GET', '/containers/json?all=1')).body.toString());
  assert.equal(all.length, 0, 'no build container is left');
  // Only durable state remains: step records, kept contexts, cache mounts; no spool.
  assert.deepEqual(
    readdirSync(join(d.dataRoot, 'build')).filter((n) => !['cache', 'contexts', 'cache-mounts'].includes(n)),
    [],
  );
  writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\nCOPY f /f\nRUN echo done-one > /one\nRUN cat /one\n');
  const again = await runCli('berth', d, ['build', '-t', 'killed', dir], undefined, 120_000);
  assert.equal(again.code, 0, again.stderr);
  assert.equal((again.stdout.match(/Using cache/g) ?? []).length, 2, again.stdout);
  assert.match(again.stdout, /done-one/);
});
