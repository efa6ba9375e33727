// A runtime `create` still running for a task: until runc is done (it sets up namespaces,
// cgroups and the seccomp filter) the shim says it has no task. Start-up asks again while
// one runs rather than shutting that shim down under it (runtime/task.ts restore).
import { readFileSync, readdirSync } from 'node:fs';

/** Whether some process is `<runtime> … create … <id>` (runc's argv ends with the ID). */
export function createInFlight(id: string, proc = '/proc'): boolean {
  for (const pid of readdirSync(proc)) {
    if (!/^\d+$/.test(pid)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`${proc}/${pid}/cmdline`, 'latin1').split('\0');
    } catch {
      continue; // gone meanwhile
    }
    if (argv.at(-1) === '') argv.pop();
    if (argv.at(-1) === id && argv.includes('create')) return true;
  }
  return false;
}
