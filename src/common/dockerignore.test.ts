import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanPath, createMatcher, parseDockerignore } from './dockerignore.ts';

test('Docker .dockerignore semantics', () => {
  const m = createMatcher(
    parseDockerignore(`
# comment
*.log
/build
**/node_modules
docs/**/*.md
!docs/keep/README.md
temp?
[ab].txt
`),
  );
  const yes = [
    'a.log',
    'build',
    'build/x/y',
    'node_modules',
    'pkg/node_modules/x',
    'a/b/node_modules',
    'docs/x.md',
    'docs/a/b/c.md',
    'temp1',
    'a.txt',
    'b.txt',
  ];
  const no = ['sub/a.log', 'src/build', 'docs/keep/README.md', 'docs/x.txt', 'temp12', 'c.txt', 'README.md'];
  for (const p of yes) assert.equal(m.excluded(p), true, `${p} should be excluded`);
  for (const p of no) assert.equal(m.excluded(p), false, `${p} should be kept`);
});

test('last match wins; exceptions re-include below excluded dirs', () => {
  const m = createMatcher(['*', '!src', 'src/*.tmp', '!Dockerfile']);
  assert.equal(m.excluded('x'), true);
  assert.equal(m.excluded('src/a.ts'), false);
  assert.equal(m.excluded('src/a.tmp'), true);
  assert.equal(m.excluded('Dockerfile'), false);
  assert.equal(m.mayReinclude('x'), true);
});

test('paths are cleaned like Go filepath.Clean', () => {
  assert.equal(cleanPath('/a/./b/../c/'), 'a/c');
  assert.equal(cleanPath('../../x'), 'x');
  const m = createMatcher(['./a/../b']);
  assert.equal(m.excluded('b/c'), true);
});
