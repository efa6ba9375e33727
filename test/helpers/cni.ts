// The CNI network list the CRI tests give their pods: a bridge of the test's own with a
// host-local subnet, and portmap for host ports.
export function bridgeConfList(o: { bridge: string; subnet: string; ipamDir: string }, ...extra: object[]) {
  return {
    cniVersion: '1.0.0',
    name: `net-${o.bridge}`,
    plugins: [
      {
        type: 'bridge',
        bridge: o.bridge,
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: o.subnet }]],
          routes: [{ dst: '0.0.0.0/0' }],
          dataDir: o.ipamDir,
        },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
      ...extra,
    ],
  };
}
