import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { parseDockerfile } from './parser.ts';
import { DockerfileError, located } from './lines.ts';
import { expandWord, expandWords } from './words.ts';

const err = (src: string) => {
  try {
    parseDockerfile(src);
  } catch (e) {
    assert.ok(e instanceof DockerfileError, `not a DockerfileError: ${e}`);
    return `${e.line}: ${e.message}`;
  }
  assert.fail('no error');
};

test('every instruction parses into its node', () => {
  const df = parseDockerfile(`# syntax=docker/dockerfile:1
ARG BASE=busybox
FROM --platform=linux/amd64 \${BASE} AS build
RUN echo hi && \\
    echo there
RUN ["sh", "-c", "echo exec"]
RUN --mount=type=cache,target=/root/.cache --network=none echo mounts
CMD ["sh"]
ENTRYPOINT /bin/sh -c
ENV A=1 B="two words" C=\${A}
ENV LEGACY some value here
ARG V X=3
LABEL org.title="my app" version=1
EXPOSE 80/tcp 53/udp
COPY --from=build --chown=1:1 --chmod=644 --link a b /dst/
ADD --checksum=sha256:abc http://127.0.0.1/x.tar /x
WORKDIR /app
USER nobody
VOLUME ["/data", "/logs"]
VOLUME /a /b
SHELL ["/bin/ash", "-c"]
HEALTHCHECK --interval=5s --retries=3 CMD wget -q localhost || exit 1
STOPSIGNAL SIGINT
ONBUILD RUN echo child
MAINTAINER someone
FROM build AS second
`);
  assert.equal(df.directives.syntax, 'docker/dockerfile:1');
  assert.equal(df.metaArgs[0].args[0].name, 'BASE');
  assert.equal(df.stages.length, 2);
  const [s0, s1] = df.stages;
  assert.equal(s0.name, 'build');
  assert.equal(s0.from.platform, 'linux/amd64');
  assert.equal(s1.from.image, 'build');
  const kinds = s0.instructions.map((i) => i.kind);
  assert.deepEqual(kinds, [
    'RUN',
    'RUN',
    'RUN',
    'CMD',
    'ENTRYPOINT',
    'ENV',
    'ENV',
    'ARG',
    'LABEL',
    'EXPOSE',
    'COPY',
    'ADD',
    'WORKDIR',
    'USER',
    'VOLUME',
    'VOLUME',
    'SHELL',
    'HEALTHCHECK',
    'STOPSIGNAL',
    'ONBUILD',
    'MAINTAINER',
  ]);
  const run0 = s0.instructions[0] as any;
  assert.deepEqual(run0.command, { json: false, text: 'echo hi &&     echo there' });
  assert.equal(run0.line, 4);
  assert.equal(run0.endLine, 5);
  assert.deepEqual((s0.instructions[1] as any).command, { json: true, args: ['sh', '-c', 'echo exec'] });
  assert.deepEqual((s0.instructions[2] as any).mounts, ['type=cache,target=/root/.cache']);
  assert.equal((s0.instructions[2] as any).network, 'none');
  assert.deepEqual((s0.instructions[5] as any).pairs, [
    ['A', '1'],
    ['B', '"two words"'],
    ['C', '${A}'],
  ]);
  assert.deepEqual((s0.instructions[6] as any).pairs, [['LEGACY', 'some value here']]);
  const copy = s0.instructions[10] as any;
  assert.deepEqual(
    [copy.from, copy.chown, copy.chmod, copy.link, copy.sources, copy.dest],
    ['build', '1:1', '644', true, ['a', 'b'], '/dst/'],
  );
  const hc = s0.instructions[17] as any;
  assert.deepEqual([hc.interval, hc.retries, hc.command.text], ['5s', 3, 'wget -q localhost || exit 1']);
  assert.equal((s0.instructions[19] as any).parsed.kind, 'RUN');
});

test('heredocs, comments inside continuations, the escape directive', () => {
  const df = parseDockerfile(`FROM busybox
RUN <<EOF
echo one
echo two
EOF
COPY <<-"END" /etc/conf
	key=$value
	END
RUN echo a \\
# a comment in the middle
    b
`);
  const [run, copy, run2] = df.stages[0].instructions as any[];
  assert.deepEqual(run.heredocs, [{ name: 'EOF', content: 'echo one\necho two\n', quoted: false, chomp: false }]);
  assert.equal(copy.heredocs[0].content, 'key=$value\n');
  assert.equal(copy.heredocs[0].quoted, true);
  assert.equal(run2.command.text, 'echo a     b');
  const win = parseDockerfile('# escape=`\nFROM busybox\nRUN dir c:\\ `\n  && echo x\n');
  assert.equal(win.directives.escape, '`');
  assert.equal((win.stages[0].instructions[0] as any).command.text, 'dir c:\\   && echo x');
});

test('errors point at the line, in Docker words', () => {
  assert.equal(err('FROM busybox\n\n\n\n\n\nRUNN echo'), '7: unknown instruction: RUNN (did you mean run?)');
  assert.equal(err('RUN echo'), '1: no build stage in current context');
  assert.equal(err('# just a comment\n'), '1: the Dockerfile has no FROM instruction');
  assert.equal(err('FROM a b'), '1: FROM requires either one or three arguments');
  assert.equal(err('FROM busybox\nCOPY onlyone'), '2: COPY requires at least two arguments, but only 1 provided');
  assert.equal(err('FROM busybox\nCOPY --bogus=1 a b'), '2: unknown flag: bogus');
  assert.equal(err('FROM busybox\nSHELL /bin/sh -c'), '2: SHELL requires the arguments to be in JSON form');
  assert.equal(
    err('FROM busybox\nLABEL novalue'),
    `2: Syntax error - can't find = in "novalue". Must be of the form: name=value`,
  );
  assert.equal(err('FROM busybox\nONBUILD ONBUILD RUN x'), "2: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  assert.equal(err('FROM busybox AS a\nFROM busybox AS a'), '2: duplicate stage name "a"');
  assert.equal(err('FROM busybox\nRUN <<EOF\necho'), '2: unterminated heredoc EOF');
  assert.equal(err('# escape=x\nFROM busybox'), "1: invalid escape token 'x' does not match ` or \\");
  assert.match(
    located('Dockerfile', new DockerfileError(7, 'unknown instruction: RUNN')).message,
    /^Dockerfile:7: unknown instruction: RUNN$/,
  );
});

test('word expansion: quotes, escapes and the ${} forms', () => {
  const env = new Map([
    ['A', 'x'],
    ['E', ''],
    ['SP', 'a b'],
  ]);
  const w = (s: string) => expandWord(s, env, '\\', 1);
  assert.equal(w('$A'), 'x');
  assert.equal(w('${A}y'), 'xy');
  assert.equal(w('${U:-def}'), 'def');
  assert.equal(w('${E:-def}'), 'def');
  assert.equal(w('${E-def}'), '');
  assert.equal(w('${A:+alt}'), 'alt');
  assert.equal(w('${U:+alt}'), '');
  assert.equal(w("'$A'"), '$A');
  assert.equal(w('"$A b"'), 'x b');
  assert.equal(w('\\$A'), '$A');
  assert.equal(w('$'), '$');
  assert.deepEqual(expandWords('$SP "c d" e\\ f', env, '\\', 1), ['a b', 'c d', 'e f']);
  assert.throws(() => w('${U:?must be set}'), /U: must be set/);
  assert.throws(() => w('${A'), /missing '}'/);
});

test('fuzz: random input never crashes or hangs; errors are located', () => {
  const alphabet = [
    'FROM ',
    'RUN ',
    'COPY ',
    'ENV ',
    'ARG ',
    'ONBUILD ',
    'HEALTHCHECK ',
    '--',
    '=',
    '"',
    "'",
    '\\',
    '`',
    '$',
    '{',
    '}',
    '[',
    ']',
    '<<',
    'EOF',
    '\n',
    ' ',
    '#',
    'a',
    'AS',
    ':-',
    '\t',
  ];
  const started = Date.now();
  for (let i = 0; i < 3000; i++) {
    const n = 1 + (randomBytes(1)[0] % 40);
    const parts = [...randomBytes(n)].map((b) => alphabet[b % alphabet.length]);
    const src = (i % 2 ? 'FROM busybox\n' : '') + parts.join('');
    try {
      const df = parseDockerfile(src);
      for (const s of df.stages) for (const ins of s.instructions) assert.ok(ins.line >= 1);
    } catch (e) {
      assert.ok(e instanceof DockerfileError, `unexpected ${(e as Error).stack}\nfor ${JSON.stringify(src)}`);
      assert.ok(e.line >= 1);
    }
    try {
      expandWords(parts.join(''), new Map(), '\\', 1);
    } catch (e) {
      assert.ok(e instanceof DockerfileError);
    }
  }
  assert.ok(Date.now() - started < 20_000, 'fuzzing took too long: a slow path');
});

test('pathological Dockerfiles: bounded time, a located error or a parse', () => {
  const cases: [string, string][] = [
    ['a 10 MB line', `FROM busybox\nRUN echo ${'x'.repeat(10 << 20)}\n`],
    ['a million continuation lines', `FROM busybox\nRUN true \\\n${'  && true \\\n'.repeat(1_000_000)}\n`],
    ['NUL bytes', 'FROM busybox\nRUN echo \0\0\0\nEN\0V a=b\n'],
    ['a heredoc without its end', 'FROM busybox\nRUN <<EOF\necho never closed\n'],
    ['ARG referring to itself', 'ARG A=${A}${A}${A}\nFROM busybox:${A}\nARG B=${B:-${B:-${B}}}\n'],
    ['10 000 stages', Array.from({ length: 10_000 }, (_, i) => `FROM busybox AS s${i}\nRUN true\n`).join('')],
    ['an unknown escape directive', '# escape=x\nFROM busybox\n'],
    ['only comments', '# a\n# b\n'],
  ];
  for (const [what, src] of cases) {
    const started = Date.now();
    try {
      parseDockerfile(src);
    } catch (e) {
      assert.ok(e instanceof DockerfileError, `${what}: unexpected ${(e as Error).stack}`);
      assert.ok(e.line >= 1, what);
    }
    assert.ok(Date.now() - started < 5_000, `${what} took ${Date.now() - started} ms`);
  }
});
