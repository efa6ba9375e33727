// Pod sandbox records: what RunPodSandbox was asked (the CRI config, kept verbatim for
// status and listing), the sandbox's state and its network (the CNI list and result, so
// DEL gets exactly what ADD made, after a restart too). One directory per sandbox under
// <data-root>/cri/sandboxes/<id>/sandbox.json, written atomically; the sandbox's ID is its
// infra container's.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { notFound } from '../common/errors.ts';
import { isObject } from '../common/json.ts';
import { loadRecordDir, writeRecord, type Quarantined } from '../metadata/record-dir.ts';
import type * as cri from '../cri-types/api.ts';

export interface SandboxNetwork {
  /**
   * The namespace CNI was run on: the pin /run/netns/berth-pod-<id>, or the infra's own
   * (`/proc/<pid>/ns/net`: under userns-remap, and records written before pins).
   */
  netns: string;
  /** The network list as used for ADD (JSON), and the plugins' result (absent until ADD succeeded). */
  list: Record<string, unknown>;
  result?: Record<string, unknown>;
  ip: string;
  additionalIps: string[];
  /** Set once DEL has run: the allocation is released. */
  released?: boolean;
}

export interface SandboxRecord {
  schema: 1;
  id: string;
  /** ns since the epoch, as a decimal string. */
  createdAt: string;
  config: cri.Decoded<cri.PodSandboxConfig>;
  runtimeHandler: string;
  state: cri.PodSandboxState;
  network?: SandboxNetwork;
  /** Set while RunPodSandbox has not answered: after a crash such a sandbox is undone. */
  creating?: true;
}

const isSandbox = (v: unknown): v is SandboxRecord =>
  isObject(v) && typeof v.id === 'string' && isObject(v.config) && typeof v.state === 'string';

export class SandboxStore {
  readonly root: string;
  private readonly byId = new Map<string, SandboxRecord>();

  constructor(root: string) {
    this.root = root;
  }

  async load(): Promise<Quarantined[]> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    const { records, quarantined } = await loadRecordDir(this.root, 'sandbox.json', 'sandbox', isSandbox);
    for (const r of records.values()) this.byId.set(r.id, r);
    return quarantined;
  }

  list(): SandboxRecord[] {
    return [...this.byId.values()];
  }

  get(id: string): SandboxRecord | undefined {
    return this.byId.get(id);
  }

  /** By full ID or a unique prefix (as crictl lets users type). */
  find(idOrPrefix: string): SandboxRecord | undefined {
    if (!idOrPrefix) return undefined;
    const exact = this.byId.get(idOrPrefix);
    if (exact) return exact;
    const hits = this.list().filter((s) => s.id.startsWith(idOrPrefix));
    return hits.length === 1 ? hits[0] : undefined;
  }

  resolve(idOrPrefix: string): SandboxRecord {
    const s = this.find(idOrPrefix);
    if (!s) throw notFound(`pod sandbox ${idOrPrefix} not found`);
    return s;
  }

  /**
   * `durable: false` for a change whose loss to a power cut start-up handles anyway (the
   * pod's processes die with the machine): READY after `creating`, NOTREADY, DEL done.
   */
  async save(r: SandboxRecord, opts: { durable?: boolean } = {}): Promise<void> {
    await mkdir(join(this.root, r.id), { recursive: true, mode: 0o700 });
    await writeRecord(join(this.root, r.id, 'sandbox.json'), r, opts);
    this.byId.set(r.id, r);
  }

  async delete(id: string): Promise<void> {
    this.byId.delete(id);
    await rm(join(this.root, id), { recursive: true, force: true });
  }
}
