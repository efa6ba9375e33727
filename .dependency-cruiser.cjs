// The import rules of docs/architecture.md, checked by dependency-cruiser (scripts/check-imports).
// The module table in that file is the source: each row's "imports" column says which
// folders the row's folder may import, so the page and the check cannot drift apart.
// Grammar of the column: `nothing`, `anything`, `anything but a, b`, or a list `a, b, c`
// (folder names as in the first column, with or without the trailing slash; text after a
// `(` or a `;` is commentary). A file belongs to the longest folder row that contains it.
// A name stands for its row's module only: a sub-folder with a row of its own (api/types
// inside api/) is a module apart, so naming `api` neither allows nor bans `api/types` —
// name that row to allow it (its own row's folder included); `anything but api` leaves it
// allowed.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const doc = readFileSync(join(__dirname, 'docs', 'architecture.md'), 'utf8');
const section = doc.split(/^## /m).find((s) => s.startsWith('Modules'));
if (!section) throw new Error('docs/architecture.md has no "## Modules" section');

const rows = [];
for (const line of section.split('\n')) {
  const m = /^\|\s*`([a-z0-9/-]+?)\/?`\s*\|.*\|\s*([^|]+?)\s*\|\s*$/.exec(line);
  if (m) rows.push({ folder: m[1], imports: m[2].split(/[(;]/)[0].trim() });
}
if (rows.length < 10) throw new Error('docs/architecture.md: the module table was not found');
const folders = rows.map((r) => r.folder);
const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const names = (list) =>
  list
    .split(',')
    .map((s) => s.trim().replace(/^`|`$/g, '').replace(/\/$/, ''))
    .filter(Boolean)
    .map((n) => {
      if (!folders.includes(n)) throw new Error(`docs/architecture.md: "${n}" in an imports column is not a module`);
      return n;
    });

// Files that only tests load may reach wider (fixtures, real components).
const TEST_ONLY = '(\\.test\\.ts$|/testing/|test-helpers\\.ts$)';

/** Rows nested in `folder` (its sub-modules). */
const deeperOf = (folder) => folders.filter((f) => f !== folder && f.startsWith(folder + '/'));
/** The files of `folder`'s own module: its tree minus the sub-modules in `except`. */
const moduleRe = (folder, except) => {
  const subs = except.map((f) => esc(f.slice(folder.length + 1)) + '/');
  return `^src/${esc(folder)}/` + (subs.length ? `(?!${subs.join('|')})` : '');
};

const forbidden = [];
for (const { folder, imports } of rows) {
  const deeper = deeperOf(folder);
  const from = {
    path: `^src/${esc(folder)}/`,
    pathNot: [TEST_ONLY, ...deeper.map((f) => `^src/${esc(f)}/`)],
  };
  let allowed;
  if (imports === 'anything') continue;
  if (imports === 'nothing') allowed = [];
  else if (imports.startsWith('anything but ')) {
    const banned = names(imports.slice('anything but '.length));
    forbidden.push({
      name: `layers:${folder}`,
      comment: `${folder}/ never imports ${banned.join(', ')} (docs/architecture.md)`,
      severity: 'error',
      from,
      to: { path: banned.map((b) => moduleRe(b, deeperOf(b))) },
    });
    continue;
  } else allowed = names(imports);
  // Its own module is always fine; a sub-module only when named.
  const named = [folder, ...allowed];
  const ok = named.map((a) => moduleRe(a, deeperOf(a).filter((d) => !named.includes(d))));
  forbidden.push({
    name: `layers:${folder}`,
    comment: `${folder}/ may import only ${allowed.join(', ') || 'nothing'} (docs/architecture.md)`,
    severity: 'error',
    from,
    to: { path: '^src/', pathNot: ok },
  });
}

forbidden.push(
  {
    name: 'no-cycles',
    comment: 'import cycles make load order and ownership unclear; break them with a shared lower module',
    severity: 'error',
    from: { path: '^src/' },
    to: { circular: true },
  },
  {
    name: 'os-boundary',
    comment:
      "only sys/ runs host binaries or calls libc (client/credential-helper.ts and client/cli-plugin.ts run the CLI user's helpers and plugins)",
    severity: 'error',
    from: {
      path: '^src/',
      pathNot: ['^src/sys/', '^src/client/credential-helper\\.ts$', '^src/client/cli-plugin\\.ts$', TEST_ONLY],
    },
    to: { path: ['^child_process$', '^node:child_process$', 'node_modules/koffi/'] },
  },
  {
    name: 'not-to-tests',
    comment: 'production code never imports test files or test helpers',
    severity: 'error',
    from: { path: '^src/', pathNot: TEST_ONLY },
    to: { path: TEST_ONLY },
  },
);

module.exports = {
  forbidden,
  options: {
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    moduleSystems: ['es6'],
  },
};
