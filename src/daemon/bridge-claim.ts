// A default bridge belongs to one berthd, named by its exec root: a second daemon (another
// exec root) given the same bridge name refuses to start instead of adding its addresses
// and rewriting the firewall table of the first. The claim is a lock held while berthd
// runs (a killed daemon's lock goes with it) and the bridge's alias, which outlives it:
// only the owner's exec root may take the bridge over again.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { conflict, isKind } from '../common/errors.ts';
import { lockFile, type FileLock } from '../sys/lock.ts';
import { run } from '../sys/exec.ts';

const CLAIMS_DIR = '/run/berth-bridges';
const IP = '/usr/sbin/ip';
const ALIAS_PREFIX = 'berthd exec-root=';

async function aliasOf(bridge: string): Promise<string | undefined> {
  const r = await run(IP, ['-j', 'link', 'show', 'dev', bridge], { allowFail: true });
  if (r.code !== 0) return undefined;
  try {
    const [link] = JSON.parse(r.stdout.toString()) as { ifalias?: string }[];
    return link?.ifalias ?? '';
  } catch {
    return '';
  }
}

/** Takes the bridge for this exec root, or says whose it is. */
export async function claimBridge(bridge: string, execRoot: string): Promise<FileLock | undefined> {
  if (bridge === 'none') return undefined;
  mkdirSync(CLAIMS_DIR, { recursive: true, mode: 0o700 });
  const path = join(CLAIMS_DIR, `${bridge}.lock`);
  let lock: FileLock;
  try {
    lock = lockFile(path);
  } catch (err) {
    if (!isKind(err, 'conflict')) throw err;
    let owner = '';
    try {
      owner = readFileSync(join(CLAIMS_DIR, `${bridge}.owner`), 'utf8').trim();
    } catch {
      /* unknown */
    }
    throw conflict(
      `bridge ${bridge} is in use by another berthd${owner ? ` (exec root ${owner})` : ''}: give this daemon its own --bridge (or daemon.json "bridge")`,
    );
  }
  const alias = await aliasOf(bridge);
  if (alias?.startsWith(ALIAS_PREFIX) && alias !== ALIAS_PREFIX + execRoot) {
    lock.release();
    throw conflict(
      `bridge ${bridge} belongs to the berthd with exec root ${alias.slice(ALIAS_PREFIX.length)}: give this daemon its own --bridge, or delete the bridge (ip link del ${bridge}) to hand it over`,
    );
  }
  const owner = join(CLAIMS_DIR, `${bridge}.owner`);
  writeFileSync(owner, `${execRoot}\n`, { mode: 0o600 });
  return {
    path,
    // A clean stop leaves no claim files behind (the bridge's alias keeps the ownership).
    release() {
      rmSync(owner, { force: true });
      rmSync(path, { force: true });
      lock.release();
    },
  };
}

/** Marks an existing bridge as this exec root's (after networking created it). */
export async function markBridge(bridge: string, execRoot: string): Promise<void> {
  if (bridge === 'none' || (await aliasOf(bridge)) === undefined) return;
  await run(IP, ['link', 'set', 'dev', bridge, 'alias', ALIAS_PREFIX + execRoot], { timeoutMs: 10_000 });
}
