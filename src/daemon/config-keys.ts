// Every key dockerd documents for daemon.json, and what berthd does with it: honoured
// (parsed in config.ts), accepted only with the value that describes what Berth always
// does, or refused by name with the reason. Nothing is taken and then ignored.

/** Keys accepted only with one value: the one that matches Berth's fixed behaviour. */
export const FIXED: Record<string, { ok: (v: unknown) => boolean; reason: string }> = {
  'live-restore': {
    ok: (v) => v === true,
    reason: 'berthd always keeps containers running across its own restarts (live-restore is always on)',
  },
  experimental: { ok: (v) => v === false, reason: 'Berth has no experimental features to enable' },
  'storage-driver': {
    ok: (v) => v === 'overlay2' || v === '',
    reason: 'Berth stores layers with overlayfs only ("overlay2")',
  },
  'storage-opts': { ok: (v) => Array.isArray(v) && v.length === 0, reason: 'the overlay store takes no options' },
  'selinux-enabled': { ok: (v) => v === false, reason: 'SELinux labelling is not implemented' },
  'userland-proxy': {
    ok: (v) => v === false,
    reason: 'Berth publishes ports with in-kernel DNAT only (there is no userland proxy)',
  },
  'ip-masq': { ok: (v) => v === true, reason: 'bridge networks are always masqueraded' },
  'ip-forward': {
    ok: (v) => v === false,
    reason: "berthd sets no forwarding sysctls on the host: the host's own forwarding settings apply",
  },
  'exec-opts': {
    ok: (v) => Array.isArray(v) && v.every((o) => o === 'native.cgroupdriver=cgroupfs'),
    reason: 'only native.cgroupdriver=cgroupfs is supported (berthd manages cgroups directly)',
  },
  'default-ipc-mode': { ok: (v) => v === 'private', reason: 'containers always get a private IPC namespace' },
  'default-cgroupns-mode': {
    ok: (v) => v === 'host',
    reason: 'containers share the host cgroup namespace (a private one is not implemented)',
  },
  ip6tables: {
    ok: (v) => v === true,
    reason: 'berthd\'s IPv6 rules (nftables table ip6) follow "iptables" and cannot be turned off apart',
  },
  features: {
    ok: (v) => typeof v === 'object' && v !== null && Object.keys(v).length === 0,
    reason: 'Berth has no optional features to switch',
  },
  rootless: { ok: (v) => v === false, reason: 'berthd runs as root only' },
  'raw-logs': { ok: (v) => v === false, reason: "berthd's log has no colours to turn off" },
};

/** Keys refused whatever their value, with the reason. */
export const REFUSED: Record<string, string> = {
  'shutdown-timeout': 'berthd never stops containers when it shuts down, so there is nothing to time out',
  'max-download-attempts': "Berth's registry client retries on its own fixed schedule",
  'default-shm-size': 'a daemon-wide /dev/shm size is not supported yet; use --shm-size per container',
  init: 'a daemon-wide --init default is not supported yet; use --init per container',
  'default-init': 'a daemon-wide --init default is not supported yet; use --init per container',
  'init-path': 'Berth always uses its own tini-static as the init binary',
  containerd: 'berthd drives containerd-shim-runc-v2 itself; there is no containerd daemon to connect to',
  'containerd-namespace': 'berthd drives containerd-shim-runc-v2 itself; there is no containerd daemon',
  'containerd-plugin-namespace': 'berthd drives containerd-shim-runc-v2 itself; there is no containerd daemon',
  'cri-containerd': 'the CRI is served by berthd itself, not by containerd',
  builder: 'builder garbage-collection settings are not supported; use "builder prune"',
  'cdi-spec-dirs': 'CDI devices are not supported',
  'nri-opts': 'NRI plugins are not supported',
  'cpu-rt-period': 'realtime CPU scheduling is not supported',
  'cpu-rt-runtime': 'realtime CPU scheduling is not supported',
  'oom-score-adjust': 'berthd does not adjust its own OOM score (dockerd removed this option)',
  'metrics-addr': 'there is no metrics endpoint',
  'min-api-version': 'the minimum API version is fixed',
  'allow-nondistributable-artifacts': 'foreign layers are not pushed (the option was removed from dockerd)',
  proxies: 'proxy settings for the daemon are not supported',
  'http-proxy': 'proxy settings for the daemon are not supported',
  'https-proxy': 'proxy settings for the daemon are not supported',
  'no-proxy': 'proxy settings for the daemon are not supported',
  'swarm-default-advertise-addr': 'swarm mode is not supported',
  'swarm-raft-heartbeat-tick': 'swarm mode is not supported',
  'swarm-raft-election-tick': 'swarm mode is not supported',
  'node-generic-resources': 'swarm mode is not supported',
  'network-control-plane-mtu': 'swarm mode is not supported',
  'network-diagnostic-port': 'the network diagnostic server is not supported',
  'default-network-opts': 'default network driver options are not supported',
  bip6: 'an IPv6 address for the default bridge is not supported; use fixed-cidr-v6',
  'fixed-cidr': 'a fixed-cidr for the default bridge is not supported; use "bip"',
  'default-gateway': 'a default gateway other than the bridge is not supported',
  'default-gateway-v6': 'a default gateway other than the bridge is not supported',
  ip: 'a default bind address for published ports is not supported; give it per port (-p IP:port:port)',
  'ip-forward-no-drop': 'berthd leaves the FORWARD policy alone',
  'firewall-backend': 'berthd always uses its own nftables tables',
  'allow-direct-routing': 'direct routing to container addresses is not supported',
  'bridge-accept-fwmark': 'firewall marks are not supported',
  'host-gateway-ip': 'host-gateway always resolves to the default bridge gateway',
  'host-gateway-ips': 'host-gateway always resolves to the default bridge gateway',
  'userland-proxy-path': 'Berth publishes ports with in-kernel DNAT only (there is no userland proxy)',
  'dns-opts': 'daemon-wide DNS options are not supported yet; use --dns-option per container',
  'dns-search': 'daemon-wide DNS search domains are not supported yet; use --dns-search per container',
  'resolv-conf': 'berthd always reads the host resolvers from /etc/resolv.conf',
};

/** dockerd's flag for a daemon.json key, where it is not simply --<key>. */
export const FLAG_OF: Record<string, string> = {
  'storage-opts': '--storage-opt',
  'exec-opts': '--exec-opt',
  'dns-opts': '--dns-opt',
  'cdi-spec-dirs': '--cdi-spec-dir',
  'node-generic-resources': '--node-generic-resource',
  runtimes: '--add-runtime',
  'default-init': '--init',
};

/** Refusal message for a key given in daemon.json or as a flag. */
export function refusal(key: string, value: unknown): string | undefined {
  const r = REFUSED[key];
  if (r) return `${key} is not supported: ${r}`;
  const f = FIXED[key];
  if (f && !f.ok(value)) return `${key}=${JSON.stringify(value)} is not supported: ${f.reason}`;
  return undefined;
}
