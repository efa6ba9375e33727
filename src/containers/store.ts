// Container records and the name index. Names are reserved synchronously (one JS turn),
// so of N concurrent creates with one name exactly one wins and the rest get 409.
import { mkdir, readdir, rm } from 'node:fs/promises';
import { KeyedMutex } from '../common/mutex.ts';
import { basename, join } from 'node:path';
import { loadRecordDir, readRecord, renameRecordDir, writeRecord, type Quarantined } from '../metadata/record-dir.ts';
import { conflict, invalidArgument, isNotExist, notFound } from '../common/errors.ts';
import { isObject } from '../common/json.ts';
import { initialState, type ContainerRecord, type ContainerRuntimeState } from './types.ts';

export interface Container {
  record: ContainerRecord;
  runtime: ContainerRuntimeState;
}

const isRecord = (v: unknown): v is ContainerRecord =>
  isObject(v) && typeof v.id === 'string' && typeof v.name === 'string' && isObject(v.config) && isObject(v.hostConfig);

export class ContainerStore {
  readonly root: string; // <data-root>/containers
  private readonly byId = new Map<string, Container>();
  private readonly names = new Map<string, string>(); // name -> id (or a reservation)

  constructor(root: string) {
    this.root = root;
  }

  dir(id: string): string {
    return join(this.root, id);
  }

  async load(): Promise<Quarantined[]> {
    await mkdir(this.root, { recursive: true, mode: 0o710 });
    await this.sweepTrash();
    const { records, quarantined } = await loadRecordDir(this.root, 'config.json', 'container', isRecord);
    for (const record of records.values()) {
      let rt: ContainerRuntimeState;
      try {
        // No state file yet: the container was created and never changed state.
        rt = (await readRecord<ContainerRuntimeState>(join(this.dir(record.id), 'state.json'))) ?? initialState();
      } catch {
        // A torn state file: the container is known, its state is not.
        rt = {
          ...initialState(),
          state: { ...initialState().state, Status: 'dead', Error: 'state record was unreadable' },
        };
      }
      this.byId.set(record.id, { record, runtime: rt });
      this.names.set(record.name, record.id);
    }
    return quarantined;
  }

  /** Claims a name for a container being created; throws Docker's 409 when taken. */
  reserveName(name: string, id: string): void {
    const holder = this.names.get(name);
    if (holder !== undefined && holder !== id) {
      throw conflict(
        `Conflict. The container name "/${name}" is already in use by container "${holder}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    }
    this.names.set(name, id);
  }

  releaseName(name: string, id: string): void {
    if (this.names.get(name) === id) this.names.delete(name);
  }

  nameTaken(name: string): boolean {
    return this.names.has(name);
  }

  /** A new container: its state file is written at its first transition (none = created). */
  async add(c: Container): Promise<void> {
    await writeRecord(join(this.dir(c.record.id), 'config.json'), c.record);
    this.byId.set(c.record.id, c);
  }

  private readonly writes = new KeyedMutex();

  /** Writes are serialised per container so an older snapshot never lands after a newer one. */
  saveState(c: Container): Promise<void> {
    const id = c.record.id;
    return this.writes.run(id, async () => {
      if (!this.byId.has(id)) return;
      // A write racing the container's removal (its directory moved to the trash) is moot.
      await writeRecord(join(this.dir(id), 'state.json'), c.runtime).catch((err) => {
        // The directory moved to the trash between the check above and the write.
        if (this.byId.has(id) && !isNotExist(err)) throw err;
      });
    });
  }

  async saveRecord(c: Container): Promise<void> {
    await writeRecord(join(this.dir(c.record.id), 'config.json'), c.record);
  }

  /**
   * Removes a container from the books in one atomic step: its directory is renamed into
   * the trash (names starting with a dot are never loaded), its ID and name are released.
   * The files themselves go with emptyTrash(), when nothing uses them any more.
   */
  async moveToTrash(id: string): Promise<void> {
    const c = this.byId.get(id);
    if (!c) return;
    await renameRecordDir(this.root, id, basename(this.trashDir(id)));
    this.byId.delete(id);
    this.releaseName(c.record.name, id);
  }

  async emptyTrash(id: string): Promise<void> {
    await rm(this.trashDir(id), { recursive: true, force: true });
  }

  private trashDir(id: string): string {
    return join(this.root, `.trash-${id}`);
  }

  /** Trash left by a removal that a crash interrupted. */
  private async sweepTrash(): Promise<void> {
    const names = await readdir(this.root).catch(() => [] as string[]);
    await Promise.all(
      names.filter((n) => n.startsWith('.trash-')).map((n) => rm(join(this.root, n), { recursive: true, force: true })),
    );
  }

  list(): Container[] {
    return [...this.byId.values()];
  }

  get(id: string): Container | undefined {
    return this.byId.get(id);
  }

  /** Docker's lookup order: full ID, exact name, then unique ID prefix. */
  resolve(input: string): Container {
    const c = this.tryResolve(input);
    if (!c) throw notFound(`No such container: ${input}`);
    return c;
  }

  tryResolve(input: string): Container | undefined {
    if (input === '') return undefined;
    const exact = this.byId.get(input);
    if (exact) return exact;
    const byName = this.names.get(input.replace(/^\//, ''));
    if (byName && this.byId.has(byName)) return this.byId.get(byName);
    if (/^[0-9a-f]+$/.test(input)) {
      const hits = [...this.byId.keys()].filter((k) => k.startsWith(input));
      if (hits.length > 1) throw invalidArgument(`multiple IDs found with provided prefix: ${input}`);
      if (hits.length === 1) return this.byId.get(hits[0]);
    }
    return undefined;
  }
}
