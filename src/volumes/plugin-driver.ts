// A volume plugin as a VolumeDriver: Docker's `VolumeDriver.*` calls, their answers
// checked for shape (a Mountpoint must be an absolute path, a list must be a list…).
import { isObject } from '../common/json.ts';
import type { DriverVolume, VolumeDriver, VolumeScope } from './driver.ts';
import { PluginError, type PluginClient } from './plugin-client.ts';

export class PluginDriver implements VolumeDriver {
  readonly name: string;
  private readonly client: PluginClient;
  private readonly timeouts: { long: number; short: number };
  private scoped: VolumeScope | undefined;

  constructor(name: string, client: PluginClient, timeouts: { long: number; short: number }) {
    this.name = name;
    this.client = client;
    this.timeouts = timeouts;
  }

  async scope(): Promise<VolumeScope> {
    if (this.scoped) return this.scoped;
    try {
      const a = await this.client.call('VolumeDriver.Capabilities', undefined, this.timeouts.short);
      const s = isObject(a.Capabilities) && typeof a.Capabilities.Scope === 'string' ? a.Capabilities.Scope : '';
      this.scoped = s.toLowerCase() === 'global' ? 'global' : 'local';
    } catch {
      // Docker: a plugin that cannot say is local-scoped (older plugins lack the call).
      this.scoped = 'local';
    }
    return this.scoped;
  }

  async create(name: string, opts: Record<string, string> | null): Promise<void> {
    await this.client.call('VolumeDriver.Create', { Name: name, Opts: opts }, this.timeouts.long);
  }

  async remove(name: string): Promise<void> {
    await this.client.call('VolumeDriver.Remove', { Name: name }, this.timeouts.short);
  }

  async mount(name: string, ref: string): Promise<string> {
    const a = await this.client.call('VolumeDriver.Mount', { Name: name, ID: ref }, this.timeouts.long);
    return mountpointOf('VolumeDriver.Mount', a.Mountpoint, this.name);
  }

  async unmount(name: string, ref: string): Promise<void> {
    await this.client.call('VolumeDriver.Unmount', { Name: name, ID: ref }, this.timeouts.short);
  }

  async path(name: string): Promise<string> {
    const a = await this.client.call('VolumeDriver.Path', { Name: name }, this.timeouts.short);
    return a.Mountpoint === undefined || a.Mountpoint === ''
      ? ''
      : mountpointOf('VolumeDriver.Path', a.Mountpoint, this.name);
  }

  async get(name: string): Promise<DriverVolume | undefined> {
    let a: Record<string, unknown>;
    try {
      a = await this.client.call('VolumeDriver.Get', { Name: name }, this.timeouts.short);
    } catch (err) {
      // The plugin's own "no such volume" is an Err; unreachable or broken plugins throw on.
      if (err instanceof PluginError && err.reason === 'answered') return undefined;
      throw err;
    }
    if (!isObject(a.Volume)) return undefined;
    return volumeOf('VolumeDriver.Get', a.Volume, this.name);
  }

  async list(): Promise<DriverVolume[]> {
    const a = await this.client.call('VolumeDriver.List', {}, this.timeouts.short);
    if (a.Volumes === undefined || a.Volumes === null) return [];
    if (!Array.isArray(a.Volumes))
      throw new PluginError('VolumeDriver.List', `volume plugin ${this.name} answered Volumes that is not a list`);
    return a.Volumes.map((v) => volumeOf('VolumeDriver.List', v, this.name));
  }
}

function mountpointOf(method: string, v: unknown, plugin: string): string {
  if (typeof v !== 'string' || !v.startsWith('/') || v.includes('\0'))
    throw new PluginError(method, `volume plugin ${plugin} answered a Mountpoint that is not an absolute path`);
  return v;
}

function volumeOf(method: string, v: unknown, plugin: string): DriverVolume {
  if (!isObject(v) || typeof v.Name !== 'string' || v.Name === '')
    throw new PluginError(method, `volume plugin ${plugin} answered a volume without a name`);
  return {
    name: v.Name,
    mountpoint: typeof v.Mountpoint === 'string' ? v.Mountpoint : '',
    ...(typeof v.CreatedAt === 'string' && v.CreatedAt ? { createdAt: v.CreatedAt } : {}),
    ...(isObject(v.Status) ? { status: v.Status } : {}),
  };
}
