// Everything the container services may draw on, wired once by daemon/. Each verb takes a
// Pick of it (what it uses), so a verb's signature says what it touches.
import type { Container, ContainerStore } from '../../containers/store.ts';
import type { ImageStore } from '../../images/store.ts';
import type { EventBus } from '../../events/bus.ts';
import type { KeyedMutex } from '../../common/mutex.ts';
import type { LayerPort, TaskRuntime, UserResolver } from './ports.ts';
import type { LiveRegistry } from './live.ts';
import type { ContainerNetworking } from './network-port.ts';
import type { ExecRegistry } from './exec-registry.ts';
import type { EngineSettings } from './settings.ts';
import type { Supervisor } from './supervisor.ts';
import type { ContainerVolumes } from './volume-port.ts';
import type { HostFacts } from './host-facts.ts';

export interface ContainerDeps {
  readonly store: ContainerStore;
  readonly images: ImageStore;
  readonly layers: LayerPort;
  readonly runtime: TaskRuntime;
  /** Resolves a container's `-u` against its own /etc/passwd and /etc/group. */
  readonly users: UserResolver;
  readonly events: EventBus;
  readonly live: LiveRegistry;
  readonly execs: ExecRegistry;
  readonly locks: KeyedMutex;
  /** Bridge networking; absent: every non-host container gets a loopback-only netns. */
  readonly network?: ContainerNetworking;
  /** Volumes, binds and tmpfs mounts (services/volumes). */
  readonly volumes: ContainerVolumes;
  /**
   * Checks before a removal through the Engine API: a reason refuses it (409). The CRI
   * adds one so a pod's containers go only with their pod.
   */
  readonly removalGuards: ((c: Container) => string | undefined)[];
  readonly settings: EngineSettings;
  /** The host's cgroup capabilities, devices and sysctls (create/update checks, spec). */
  readonly host: HostFacts;
  /** Owns every task: launch, adopt, exit handling, restarts, removal. */
  readonly supervisor: Supervisor;
}
