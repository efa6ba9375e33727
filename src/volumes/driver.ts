// What the volume service needs from a volume driver: the built-in `local` one or a
// plugin speaking Docker's VolumeDriver protocol.
//
// Lifecycle of a volume in a driver: create → (mount(ref) … unmount(ref))* → remove.
// mount/unmount are paired per reference (a container ID): a driver may count them and
// only really mount on the first and unmount after the last.

export type VolumeScope = 'local' | 'global';

/** What a driver says about one of its volumes. */
export interface DriverVolume {
  name: string;
  /** Host path of the data while mounted (the local driver's always). */
  mountpoint: string;
  /** RFC 3339, when the driver knows it. */
  createdAt?: string;
  status?: Record<string, unknown>;
}

export interface VolumeDriver {
  readonly name: string;
  scope(): Promise<VolumeScope>;
  create(name: string, opts: Record<string, string> | null): Promise<void>;
  remove(name: string): Promise<void>;
  /** Makes the data available on the host; returns where. */
  mount(name: string, ref: string): Promise<string>;
  unmount(name: string, ref: string): Promise<void>;
  /** undefined: the driver does not know the volume. */
  get(name: string): Promise<DriverVolume | undefined>;
  list(): Promise<DriverVolume[]>;
}
