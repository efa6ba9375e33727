// Builds the registry/archive backend: registry settings from daemon.json, the shared
// in-flight state, and the service calls behind the distribution routes.
import type { DistributionBackend } from '../api/routes/distribution.ts';
import type { Logger } from '../common/logger.ts';
import type { ImageDeps } from '../services/images/deps.ts';
import { newDistributionState, type DistributionDeps } from '../services/images/distribution-deps.ts';
import { pullImage } from '../services/images/pull.ts';
import { pullAllTags, wantsAllTags } from '../services/images/pull-all-tags.ts';
import { pushImage } from '../services/images/push.ts';
import { login } from '../services/images/login.ts';
import { saveImages } from '../services/images/save.ts';
import { loadImages } from '../services/images/load.ts';
import { inspectDistribution } from '../services/images/distribution-inspect.ts';
import { searchImages } from '../services/images/search.ts';
import { importFromUrl } from '../services/images/import-url.ts';
import { collectGarbage } from '../services/images/gc.ts';
import type { DaemonConfig } from './config.ts';

export const CERTS_DIRS = ['/etc/berth/certs.d', '/etc/docker/certs.d'];

export function buildDistribution(
  config: DaemonConfig,
  ideps: ImageDeps,
  log: Logger,
): DistributionBackend & { gc(): Promise<{ bytes: number }> } {
  // Getters: `config` is live, so a reload's registries and limits apply to the next pull.
  const deps: DistributionDeps = {
    ...ideps,
    ...newDistributionState(),
    registry: {
      get insecure() {
        return config.insecureRegistries;
      },
      get mirrors() {
        return config.registryMirrors;
      },
      certsDirs: CERTS_DIRS,
    },
    get maxDownloads() {
      return config.maxConcurrentDownloads;
    },
    get maxUploads() {
      return config.maxConcurrentUploads;
    },
  };
  const ctx = (signal: AbortSignal) => ({ signal, log });
  return {
    pull: async (req, signal, emit) => {
      if (wantsAllTags(req)) await pullAllTags(deps, ctx(signal), req, emit);
      else await pullImage(deps, ctx(signal), req, emit);
    },
    importUrl: (req, signal, emit) => importFromUrl(deps, ctx(signal), req, emit),
    push: (req, signal, emit) => pushImage(deps, ctx(signal), req, emit),
    login: (auth, signal) => login(deps, ctx(signal), auth),
    save: (names, signal) => saveImages(deps, ctx(signal), names),
    load: (src, quiet, signal, emit) => loadImages(deps, ctx(signal), src, quiet, emit),
    inspectDistribution: (name, auth, signal) => inspectDistribution(deps, ctx(signal), name, auth),
    search: (term, limit, filters, auth, signal) => searchImages(deps, ctx(signal), term, limit, filters, auth),
    gc: () => collectGarbage(deps),
  };
}
