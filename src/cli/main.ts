// Entry point of the `berth` CLI. Keep this import graph tiny: each command's
// module is loaded on demand by the runner.

import module from 'node:module';

module.enableCompileCache?.();

const { runCli } = await import('./runner.ts');
const code = await runCli(process.argv.slice(2));
process.exit(code);
