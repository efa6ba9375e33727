// What the CRI's use cases need: the Engine API's container and image services (one
// store each), the sandbox records, the pods' CNI network and the pull of the image API.
import type { OpContext } from '../../common/context.ts';
import type { Logger } from '../../common/logger.ts';
import type { KeyedMutex } from '../../common/mutex.ts';
import type { SandboxStore } from '../../pods/store.ts';
import type { ContainerDeps } from '../containers/deps.ts';
import type { ImageDeps } from '../images/deps.ts';
import type { PullFn } from './image-pull.ts';
import type { PodNetwork } from './pod-network.ts';

export interface CriSettings {
  /** The infra image; the default one is made locally from catatonit when missing. */
  sandboxImage: string;
  /** Host path of the static catatonit binary. */
  catatonitPath: string;
}

export interface CriDeps {
  readonly containers: ContainerDeps;
  readonly images: ImageDeps;
  readonly sandboxes: SandboxStore;
  readonly network: PodNetwork;
  readonly pull: PullFn;
  /** Per-sandbox operations (run/stop/remove of one pod never interleave). */
  readonly locks: KeyedMutex;
  readonly settings: CriSettings;
  readonly log: Logger;
}

/** A CRI call's context for the engine's verbs: the call's cancellation, the daemon's log. */
export const opOf = (deps: Pick<CriDeps, 'log'>, signal: AbortSignal): OpContext => ({ signal, log: deps.log });
