// Network modes this build supports. Bridge and user-defined networks arrive with the
// networking work; until then `default`/`bridge` run with a private, loopback-only netns.
export function isSupportedNetworkMode(mode: string): boolean {
  return mode === 'default' || mode === 'bridge' || mode === 'none' || mode === 'host';
}

/** 'host' shares the host's network namespace; everything else gets its own. */
export const sharesHostNetwork = (mode: string | undefined) => mode === 'host';
