// What the build use case needs: the container and image services' deps, a pull, and
// its own directory under the data root (<data-root>/build: cache/ records, tmp/ spools).
import type { FsDeps } from '../containers/fs-ports.ts';

export type PullFn = (req: { fromImage: string; tag?: string; platform?: string }, signal: AbortSignal, emit: (m: Record<string, unknown>) => void) => Promise<void>;

export interface BuildDeps {
  fs: FsDeps;
  pull: PullFn;
  /** <data-root>/build */
  dir: string;
}

/** Label on every build container, so start-up can remove the ones a crash left. */
export const BUILD_LABEL = 'io.berth.build-container';
