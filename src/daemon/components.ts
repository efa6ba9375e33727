// Versions of the external components, asked once at start-up, for `version` (Components)
// and `info` (RuncCommit, ContainerdCommit, InitCommit) as dockerd reports them.
import { run } from '../sys/exec.ts';
import type { ComponentVersions } from '../services/system/info.ts';

async function output(bin: string, args: string[]): Promise<string> {
  try {
    const r = await run(bin, args, { allowFail: true, timeoutMs: 5_000, maxOutput: 64 << 10 });
    return `${r.stdout}\n${r.stderr}`;
  } catch {
    return '';
  }
}

export async function probeComponents(paths: { runc: string; shim: string; init: string }): Promise<ComponentVersions> {
  const [runc, shim, init] = await Promise.all([
    output(paths.runc, ['--version']),
    output(paths.shim, ['-v']),
    output(paths.init, ['--version']),
  ]);
  const grab = (text: string, re: RegExp) => re.exec(text)?.[1]?.trim() ?? '';
  return {
    runc: { version: grab(runc, /runc version (\S+)/), commit: grab(runc, /commit: (\S+)/) },
    containerd: { version: grab(shim, /Version:\s*(\S+)/), commit: grab(shim, /Revision:\s*(\S+)/) },
    init: { version: grab(init, /tini version (\S+)/), commit: grab(init, /git\.([0-9a-f]+)/) },
  };
}
