// GET /containers/json: Docker's filters (id, name, label, status, exited, ancestor,
// before, since), newest first, running only unless `all`.
import { invalidArgument } from '../../common/errors.ts';
import type { Container } from '../../containers/store.ts';
import type { ContainerDeps } from './deps.ts';
import { containerSummary } from './views.ts';
import { matchLabels } from '../filters.ts';
import type { ContainerSummary } from '../../api/types/containers.ts';
import { mountPointsOf } from './mount-points.ts';

const HEALTH = ['starting', 'healthy', 'unhealthy', 'none'];
const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];
const KEYS = [
  'id',
  'name',
  'label',
  'status',
  'exited',
  'ancestor',
  'before',
  'since',
  'network',
  'volume',
  'health',
  'publish',
  'expose',
  'is-task',
  'isolation',
];

export interface ListOptions {
  all?: boolean;
  limit?: number;
  size?: boolean;
  filters?: Map<string, string[]>;
}

export type ListDeps = Pick<ContainerDeps, 'store' | 'images' | 'layers' | 'network' | 'volumes'>;

export async function listContainers(deps: ListDeps, opts: ListOptions): Promise<ContainerSummary[]> {
  const f = opts.filters ?? new Map<string, string[]>();
  for (const k of f.keys()) if (!KEYS.includes(k)) throw invalidArgument(`invalid filter '${k}'`);
  for (const s of f.get('status') ?? [])
    if (!STATUSES.includes(s)) throw invalidArgument(`invalid filter 'status=${s}'`);
  for (const e of f.get('exited') ?? []) if (!/^-?\d+$/.test(e)) throw invalidArgument(`invalid filter 'exited=${e}'`);
  for (const h of f.get('health') ?? [])
    if (!HEALTH.includes(h)) throw invalidArgument(`Unrecognised filter value for health: ${h}`);

  let list = deps.store
    .list()
    .sort(
      (a, b) => Date.parse(b.record.created) - Date.parse(a.record.created) || (a.record.id < b.record.id ? 1 : -1),
    );
  const createdOf = (ref: string) => Date.parse(deps.store.resolve(ref).record.created);
  const before = f.get('before')?.map(createdOf);
  const since = f.get('since')?.map(createdOf);
  const ancestors = (f.get('ancestor') ?? []).map((a) => deps.images.tryResolve(a)?.id).filter((x) => x !== undefined);
  const showAll =
    opts.all ||
    (opts.limit !== undefined && opts.limit > 0) ||
    before !== undefined ||
    since !== undefined ||
    f.has('status') ||
    f.has('exited');

  const keep = (c: Container): boolean => {
    const st = c.runtime.state.Status;
    if (!showAll && st !== 'running' && st !== 'paused' && st !== 'restarting') return false;
    const ids = f.get('id');
    if (ids && !ids.some((p) => c.record.id.startsWith(p))) return false;
    const names = f.get('name');
    if (names && !names.some((n) => safeRegex(n).test(`/${c.record.name}`))) return false;
    const statuses = f.get('status');
    if (statuses && !statuses.includes(st)) return false;
    const health = f.get('health');
    if (health && !health.includes(c.runtime.state.Health?.Status ?? 'none')) return false;
    const exited = f.get('exited');
    if (exited && (st !== 'exited' || !exited.map(Number).includes(c.runtime.state.ExitCode))) return false;
    if (!matchLabels(c.record.config.Labels ?? {}, f.get('label'))) return false;
    const volumes = f.get('volume');
    if (volumes) {
      // Docker's rule: a volume's name (a bind's source) or any mount's destination.
      const mps = mountPointsOf(c.record);
      const hit = (v: string) => mps.some((m) => m.Destination === v || (m.Name ? m.Name === v : m.Source === v));
      if (!volumes.some(hit)) return false;
    }
    if (f.has('ancestor') && !ancestors.some((a) => isDescendant(deps, c.record.image, a!))) return false;
    const created = Date.parse(c.record.created);
    if (before && !before.every((t) => created < t)) return false;
    if (since && !since.every((t) => created > t)) return false;
    return true;
  };
  list = list.filter(keep);
  if (opts.limit !== undefined && opts.limit > 0) list = list.slice(0, opts.limit);
  return Promise.all(list.map(async (c) => containerSummary(deps, c, opts.size ? await sizesOf(deps, c) : undefined)));
}

function isDescendant(deps: Pick<ContainerDeps, 'images'>, image: string, ancestor: string): boolean {
  for (let cur: string | undefined = image, n = 0; cur && n < 256; n++) {
    if (cur === ancestor) return true;
    cur = deps.images.get(cur as `sha256:${string}`)?.meta.parent;
  }
  return false;
}

function safeRegex(s: string): RegExp {
  try {
    return new RegExp(s);
  } catch {
    throw invalidArgument(`invalid filter 'name=${s}'`);
  }
}

export async function sizesOf(
  deps: Pick<ContainerDeps, 'store' | 'images' | 'layers'>,
  c: Container,
): Promise<{ rw: number; rootFs: number }> {
  const rw = await deps.layers.dirSize(`${deps.store.dir(c.record.id)}/upper`);
  const img = deps.images.get(c.record.image);
  return { rw, rootFs: rw + (img?.size ?? 0) };
}
