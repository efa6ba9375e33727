import type { JsonFileOpts } from '../../logs/options.ts';
import type { ContainerStore } from '../../containers/store.ts';
import type { ImageStore } from '../../images/store.ts';
import type { EventBus } from '../../events/bus.ts';
import type { Logger } from '../../common/logger.ts';
import type { KeyedMutex } from '../../common/mutex.ts';
import type { Background } from '../../common/background.ts';
import type { LayerPort, TaskRuntime } from './ports.ts';
import type { LiveRegistry } from './live.ts';
import type { ContainerNetworking } from './network-port.ts';
import type { ExecRegistry } from './exec-registry.ts';

export interface EngineSettings {
  /** Default json-file options (daemon.json log-opts over Berth's bounded defaults). */
  /** json-file defaults: daemon.json log-opts over Berth's bounded ones, parsed at start-up. */
  logDefaults: JsonFileOpts;
  logDriver: string;
  cgroupParent: string;
  /** Host path of the static init bind-mounted for --init. */
  initPath: string;
  /** Host hard limits, so rlimits are never raised above them. */
  hostname: string;
  /** Daemon-wide detach keys (daemon.json `detach-keys`); per-call keys win. */
  detachKeys?: string;
}

export interface ContainerDeps {
  readonly store: ContainerStore;
  readonly images: ImageStore;
  readonly layers: LayerPort;
  readonly runtime: TaskRuntime;
  readonly events: EventBus;
  readonly live: LiveRegistry;
  readonly execs: ExecRegistry;
  readonly locks: KeyedMutex;
  /** Bridge networking; absent: every non-host container gets a loopback-only netns. */
  readonly network?: ContainerNetworking;
  readonly background: Background;
  readonly settings: EngineSettings;
  readonly log: Logger;
}
