// What pull, push, login, save/load and search need beyond the image services' deps.
import type { Digest } from '../../common/digest.ts';
import type { RegistrySettings } from '../../registry/hosts.ts';
import type { Credentials } from '../../registry/auth.ts';
import type { ImageDeps } from './deps.ts';
import type { ProgressMessage } from '../../api/types/progress.ts';
import { Inflight, Leases } from './inflight.ts';

export interface DistributionDeps extends ImageDeps {
  readonly registry: RegistrySettings;
  readonly maxDownloads: number;
  readonly maxUploads: number;
  /** Blob downloads shared by concurrent pulls, keyed by blob digest. */
  readonly downloads: Inflight<void>;
  /** Layer registrations shared by concurrent pulls, keyed by chain ID. */
  readonly registers: Inflight<Digest>;
  /** Content and layers in use by work in progress: gc leaves them alone. */
  readonly leases: Leases;
  /** Upper bound on a layer's uncompressed size relative to its blob (decompression bombs). */
  readonly maxExpansion?: { ratio: number; floor: number };
}

export function newDistributionState() {
  return { downloads: new Inflight<void>(), registers: new Inflight<Digest>(), leases: new Leases() };
}

export type Emit = (p: ProgressMessage) => void;

export type AuthInput = Credentials | undefined;

/** Docker's text bar: [=====>      ]  1.2MB/3.4MB */
export function bar(current: number, total: number): string {
  const width = 50;
  const filled = total > 0 ? Math.min(width, Math.floor((current / total) * width)) : 0;
  const b =
    '='.repeat(Math.max(0, filled - 1)) + (filled > 0 ? (filled < width ? '>' : '=') : '') + ' '.repeat(width - filled);
  return `[${b}] ${human(current)}/${human(total)}`;
}

function human(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 3 : v < 100 ? 2 : 1).replace(/\.?0+$/, '')}${units[i]}`;
}
