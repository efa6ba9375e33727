// What container services need from networking (services/networks implements it):
// prepare a task's network namespace, release it when the task is gone, and describe it.
import type { Container } from '../../containers/store.ts';
import type { SpecInput } from './ports.ts';
import type { EndpointSettings, NetworkSettings, PortSummary } from '../../api/types/networks.ts';

/**
 * Lifecycle per task: prepare(c) when it is about to start (the spec's `network` at once;
 * `ready` once its namespace, interfaces, addresses, routes, published ports and /etc files
 * are there — concurrent prepares never share an address; a failure releases all of it and
 * rejects with a typed error: an unknown network not-found, a taken address or host port
 * conflict) → the task runs → release(id) when it is gone (idempotent). After a crash,
 * start-up releases everything that belongs to no live task. inspect/summary describe the
 * container in Docker's shapes. Contract: services/testing/networking-conformance.ts.
 */
export interface ContainerNetworking {
  /**
   * Starts preparing the network of a task about to start: `network` is known at once
   * (for the spec), `ready` resolves once namespace, interfaces, rules and /etc files are
   * done. On failure everything prepared is released. `netnsFrom`: a network namespace
   * (file) to use instead of a new one (a remapped container's, owned by its user namespace).
   */
  prepare(
    c: Container,
    opts?: { netnsFrom?: string },
  ): { network: SpecInput['network']; ready: Promise<void>; env?: string[] };
  /** Tears down what a stopped task used (netns, veths, addresses, rules). Idempotent. */
  release(id: string): Promise<void>;
  /** Whether a network of that name or ID exists (for NetworkMode and EndpointsConfig). */
  exists(idOrName: string): boolean;
  /**
   * Checks NetworkingConfig.EndpointsConfig at create (networks exist, addresses, MAC,
   * driver options) with Docker's errors; nothing is reserved yet.
   */
  checkEndpoints(config: Record<string, EndpointSettings>): void;
  /** `NetworkSettings` for inspect, shaped like Docker's. */
  inspect(c: Container): NetworkSettings;
  /** `Ports` and `NetworkSettings.Networks` for ps. */
  summary(c: Container): { Ports: PortSummary[]; Networks: Record<string, EndpointSettings> };
}
