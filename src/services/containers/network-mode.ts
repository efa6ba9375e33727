// The built-in network modes; user-defined networks and container:<id> are checked by
// the networking service.
export function isSupportedNetworkMode(mode: string): boolean {
  return mode === 'default' || mode === 'bridge' || mode === 'none' || mode === 'host';
}

/** 'host' shares the host's network namespace; everything else gets its own. */
export const sharesHostNetwork = (mode: string | undefined) => mode === 'host';
