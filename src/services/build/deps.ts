// What the build use case needs: the container and image services' deps, a pull, and
// its own directory under the data root (<data-root>/build: cache/ records, tmp/ spools, contexts/ kept contexts).
import type { ContainerDeps } from '../containers/deps.ts';
import type { FsDeps } from '../containers/fs-ports.ts';
import type { Credentials } from '../../registry/auth.ts';
import type { ContextStore } from './context-store.ts';
import type { ImagesInUse } from './in-use.ts';
import type { ProgressMessage } from '../../api/types/progress.ts';

export type PullFn = (
  req: { fromImage: string; tag?: string; platform?: string; auth?: Credentials },
  signal: AbortSignal,
  emit: (m: ProgressMessage) => void,
) => Promise<void>;

export interface BuildDeps {
  /** RUN steps are containers: create, start, logs, wait, remove. */
  containers: ContainerDeps;
  fs: FsDeps;
  pull: PullFn;
  /** <data-root>/build */
  dir: string;
  /** Contexts kept between builds for berth build's incremental transfer. */
  contexts: ContextStore;
  /** Images running builds stand on; prune and df count them as in use. */
  inUse: ImagesInUse;
}

/** Label on every build container, so start-up can remove the ones a crash left. */
export const BUILD_LABEL = 'io.berth.build-container';
