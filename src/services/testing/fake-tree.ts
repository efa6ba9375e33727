// In-memory directory trees with overlayfs's rules, for the fake layer store: a layer diff
// is a tree whose whiteouts and opaque directories hide what the trees below it have; a
// stack of trees (top first) is looked up the way overlayfs and snapshots/layer-read.ts
// look one up, symlinks resolved in the merged view and confined to its root.
import { invalidArgument, notFound } from '../../common/errors.ts';

export type Node =
  | { type: 'file'; data: Buffer }
  | { type: 'dir'; opaque: boolean; children: Map<string, Node> }
  | { type: 'symlink'; target: string }
  | { type: 'whiteout' }
  | { type: 'special' };
export type Dir = Extract<Node, { type: 'dir' }>;

export const emptyDir = (): Dir => ({ type: 'dir', opaque: false, children: new Map() });

const MAX_LINK_HOPS = 40;

export function components(p: string): string[] {
  return p.split('/').filter((c) => c !== '' && c !== '.');
}

/** The directory at `parts` inside one tree (made on the way with `create`). */
export function dirAt(root: Dir, parts: string[], create: boolean): Dir | undefined {
  let d = root;
  for (const name of parts) {
    let next = d.children.get(name);
    if (next?.type !== 'dir') {
      if (!create) return undefined;
      next = emptyDir();
      d.children.set(name, next);
    }
    d = next;
  }
  return d;
}

/** Looks `name` up in a merged directory: the topmost node, and the dirs merging into it. */
function lookup(merged: Dir[], name: string): { top: Node; merged: Dir[] } | undefined {
  let top: Node | undefined;
  const dirs: Dir[] = [];
  for (const d of merged) {
    const n = d.children.get(name);
    if (!n) continue;
    if (n.type === 'whiteout') break;
    if (!top) {
      top = n;
      if (n.type !== 'dir') break;
    } else if (n.type !== 'dir') break;
    dirs.push(n as Dir);
    if ((n as Dir).opaque) break;
  }
  return top ? { top, merged: dirs } : undefined;
}

export type Found = { node: Node; merged: Dir[] } | undefined;

/** Resolves `path` in a stack of trees (top first), following symlinks inside the root. */
export function resolve(layers: Dir[], path: string): Found {
  let pending = components(path);
  let stack: Dir[][] = [];
  let hops = 0;
  let node: Node = { type: 'dir', opaque: false, children: new Map() };
  let merged: Dir[] = layers;
  while (pending.length) {
    const name = pending.shift()!;
    const here = stack.length ? stack[stack.length - 1] : layers;
    if (name === '..') {
      stack.pop();
      merged = stack.length ? stack[stack.length - 1] : layers;
      continue;
    }
    const f = lookup(here, name);
    if (!f) return undefined;
    if (f.top.type === 'symlink') {
      if (++hops > MAX_LINK_HOPS) throw invalidArgument(`too many levels of symbolic links resolving ${path}`);
      if (f.top.target.startsWith('/')) stack = [];
      pending = [...components(f.top.target), ...pending];
      merged = stack.length ? stack[stack.length - 1] : layers;
      continue;
    }
    if (f.top.type === 'dir') {
      stack.push(f.merged);
      node = f.top;
      merged = f.merged;
      continue;
    }
    if (pending.length) return undefined; // a file where a directory was needed
    return { node: f.top, merged: [] };
  }
  return { node, merged };
}

/** A regular file's bytes through a stack of trees; undefined when there is none. */
export function readThrough(layers: Dir[], path: string, maxBytes: number): Buffer | undefined {
  const f = resolve(layers, path);
  if (!f) return undefined;
  if (f.node.type === 'dir') throw invalidArgument(`${path} is a directory`);
  if (f.node.type !== 'file') throw invalidArgument(`${path} is not a regular file`);
  if (f.node.data.length > maxBytes) throw invalidArgument(`${path} is larger than ${maxBytes} bytes`);
  return f.node.data;
}

/** A merged directory's names, sorted; undefined when there is no such directory. */
export function listThrough(layers: Dir[], path: string): string[] | undefined {
  const f = resolve(layers, path);
  if (f?.node.type !== 'dir') return undefined;
  const names = new Set<string>();
  for (const d of f.merged) for (const n of d.children.keys()) names.add(n);
  return [...names].filter((n) => lookup(f.merged, n)).sort();
}

/** Regular file bytes in one tree (links not followed). */
export function treeSize(d: Dir): number {
  let n = 0;
  for (const c of d.children.values()) {
    if (c.type === 'file') n += c.data.length;
    else if (c.type === 'dir') n += treeSize(c);
  }
  return n;
}

/**
 * Where a write to `path` lands in the top tree (an overlay's upper dir): its parent,
 * copied up (made in the upper tree) when only the trees below have it.
 */
export function upperParent(upper: Dir, layers: Dir[], path: string): { dir: Dir; name: string } {
  const parts = components(path);
  const name = parts.pop();
  if (!name) throw invalidArgument(`${path} names the root`);
  const parent = resolve(layers, parts.join('/'));
  if (parent?.node.type !== 'dir') throw notFound(`${parts.join('/') || '/'}: no such directory`);
  return { dir: dirAt(upper, parts, true)!, name };
}
