import type { Logger } from '../../common/logger.ts';
import type { KeyedMutex } from '../../common/mutex.ts';
import type { ContainerStore } from '../../containers/store.ts';
import type { EventBus } from '../../events/bus.ts';
import type { NetworkStore } from '../../network/store.ts';
import type { DnsServer } from '../../network/dns.ts';

export interface NetworkSettings {
  /** Name of the default bridge interface (berth0). */
  bridge: string;
  /** `--bip`: the default bridge's gateway/prefix, or '' to pick from the pools. */
  bip: string;
  /** default-address-pools, IPv4 and IPv6 bases alike. */
  pools: { base: string; size: number }[];
  /** `ipv6`: IPv6 on the default bridge, from `fixed-cidr-v6` or the ULA pool. */
  ipv6: boolean;
  fixedCidrV6: string;
  /** Hex seed of the ULA /48 that v6 subnets come from when no v6 pool is configured (the engine ID's hash). */
  ulaSeed: string;
  mtu: number;
  icc: boolean;
  /** Off: no nftables rules at all (dockerd's --iptables=false). */
  firewall: boolean;
  /** daemon-level `dns`. */
  dns: string[];
  /** Our nftables table; namespaces and host veths carry the prefixes (per daemon). */
  table: string;
  netnsPrefix: string;
  vethPrefix: string;
}

export interface NetworkDeps {
  readonly store: NetworkStore;
  readonly containers: ContainerStore;
  readonly events: EventBus;
  readonly locks: KeyedMutex;
  readonly dns: DnsServer;
  readonly settings: NetworkSettings;
  readonly log: Logger;
  /** Re-applies our nftables table from recorded state (coalesced). */
  syncFirewall(): Promise<void>;
  /** The host's nameservers (loopback ones included: berthd forwards from the host). */
  hostNameservers(): string[];
}
