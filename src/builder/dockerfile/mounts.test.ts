import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMount } from './mounts.ts';
import { parseDockerfile } from './parser.ts';
import { DockerfileError, located } from './lines.ts';
import { expandHeredoc } from './words.ts';

const errOf = (src: string) => {
  try {
    parseDockerfile(src);
  } catch (e) {
    assert.ok(e instanceof DockerfileError, `not a DockerfileError: ${e}`);
    return located('Dockerfile', e).message;
  }
  assert.fail('no error');
};

test('--mount values: defaults per type, aliases, flags', () => {
  assert.deepEqual(parseMount('type=cache,target=/root/.cache', 1), {
    type: 'cache',
    target: '/root/.cache',
    id: '/root/.cache',
    readonly: false,
    sharing: 'shared',
    required: false,
  });
  const c = parseMount('type=cache,id=go,dst=cache,sharing=locked,mode=0700,uid=1000,gid=1000,ro', 1, '/work');
  assert.equal(c.target, '/work/cache');
  assert.equal(c.id, 'go');
  assert.equal(c.sharing, 'locked');
  assert.equal(c.mode, 0o700);
  assert.equal(c.uid, 1000);
  assert.equal(c.readonly, true);
  const b = parseMount('target=/src,source=app,rw', 1);
  assert.equal(b.type, 'bind');
  assert.equal(b.source, 'app');
  assert.equal(b.readonly, false);
  assert.equal(parseMount('type=bind,target=/src,from=build', 1).readonly, true);
  const s = parseMount('type=secret,id=tok', 1);
  assert.equal(s.target, '/run/secrets/tok');
  assert.equal(s.required, false);
  assert.equal(parseMount('type=secret,target=/etc/tok,required', 1).id, 'tok');
  assert.equal(parseMount('type=secret,id=a,required=true', 1).required, true);
  assert.equal(parseMount('type=tmpfs,target=/t,size=64m', 1).size, 64 << 20);
  assert.equal(parseMount('"type=bind","target=/a,b"', 1).target, '/a,b');
});

test('--mount errors are located at the RUN line', () => {
  assert.equal(
    errOf('FROM busybox\n\nRUN --mount=type=nope,target=/x true\n'),
    'Dockerfile:3: unsupported mount type "nope"',
  );
  assert.equal(
    errOf('FROM busybox\nRUN --mount=type=cache true\n'),
    'Dockerfile:2: mount type=cache needs a target (target=/path)',
  );
  assert.equal(
    errOf('FROM busybox\nRUN --mount=type=bind,source=x true\n'),
    'Dockerfile:2: mount type=bind needs a target (target=/path)',
  );
  assert.equal(
    errOf('FROM busybox\nRUN --mount=type=secret true\n'),
    'Dockerfile:2: secret mount needs an id or a target',
  );
  assert.equal(
    errOf('FROM busybox\nRUN --mount=type=cache,target=/x,colour=red true\n'),
    "Dockerfile:2: unexpected key 'colour' in 'colour=red'",
  );
  assert.equal(
    errOf('FROM busybox\nRUN --mount=type=cache,target=/x,sharing=all true\n'),
    'Dockerfile:2: unsupported sharing value "all"',
  );
  assert.equal(
    errOf('FROM busybox\nRUN --mount=type=cache,target=/x,mode=999 true\n'),
    'Dockerfile:2: invalid value for mode: 999',
  );
  assert.equal(
    errOf('FROM busybox\nRUN --mount=type=ssh true\n'),
    'Dockerfile:2: RUN --mount=type=ssh is not supported by this builder',
  );
  assert.equal(
    errOf('FROM busybox\nRUN --mount=type=cache,target=/ true\n'),
    'Dockerfile:2: mount target can not be /',
  );
  assert.match(
    errOf('FROM busybox\nRUN --mount=type=secret,id=a,env=A true\n'),
    /^Dockerfile:2: a secret as an environment variable/,
  );
  assert.match(
    errOf('FROM busybox\nRUN --mount=type=cache,target="/x true\n'),
    /^Dockerfile:2: invalid mount .*unterminated quote/,
  );
  // Expansion happens at build time: not checked by the parser.
  parseDockerfile('FROM busybox\nARG T\nRUN --mount=type=cache,target=$T true\n');
});

test('COPY heredoc bodies: variables expand, quotes and escapes stay shell-like', () => {
  const env = new Map([
    ['A', 'one'],
    ['B', ''],
  ]);
  assert.equal(
    expandHeredoc('a=$A "${A}" \'$A\' ${B:-dflt} \\$A $ 5\n', env, '\\', 1),
    'a=one "one" \'one\' dflt $A $ 5\n',
  );
});
