// Command table: names → lazily imported modules, so start-up loads one command.

import type { Command } from './command.ts';

type Loader = () => Promise<{ default: Command }>;

export interface Entry {
  readonly short: string;
  readonly load: Loader;
}

export const commands: Record<string, Entry> = {
  run: { short: 'Create and run a new container from an image', load: () => import('./commands/run.ts') },
  create: { short: 'Create a new container', load: () => import('./commands/create.ts') },
  start: { short: 'Start one or more stopped containers', load: () => import('./commands/start.ts') },
  stop: { short: 'Stop one or more running containers', load: () => import('./commands/stop.ts') },
  restart: { short: 'Restart one or more containers', load: () => import('./commands/restart.ts') },
  kill: { short: 'Kill one or more running containers', load: () => import('./commands/kill.ts') },
  rm: { short: 'Remove one or more containers', load: () => import('./commands/rm.ts') },
  ps: { short: 'List containers', load: () => import('./commands/ps.ts') },
  logs: { short: 'Fetch the logs of a container', load: () => import('./commands/logs.ts') },
  inspect: { short: 'Return low-level information on Docker objects', load: () => import('./commands/inspect.ts') },
  wait: {
    short: 'Block until one or more containers stop, then print their exit codes',
    load: () => import('./commands/wait.ts'),
  },
  rename: { short: 'Rename a container', load: () => import('./commands/rename.ts') },
  update: {
    short: 'Update configuration of one or more containers',
    load: () => import('./commands/update.ts'),
  },
  attach: {
    short: 'Attach local standard input, output, and error streams to a running container',
    load: () => import('./commands/attach.ts'),
  },
  exec: { short: 'Execute a command in a running container', load: () => import('./commands/exec.ts') },
  pause: { short: 'Pause all processes within one or more containers', load: () => import('./commands/pause.ts') },
  unpause: {
    short: 'Unpause all processes within one or more containers',
    load: () => import('./commands/unpause.ts'),
  },
  top: { short: 'Display the running processes of a container', load: () => import('./commands/top.ts') },
  stats: {
    short: 'Display a live stream of container(s) resource usage statistics',
    load: () => import('./commands/stats.ts'),
  },
  events: { short: 'Get real time events from the server', load: () => import('./commands/events.ts') },
  diff: {
    short: "Inspect changes to files or directories on a container's filesystem",
    load: () => import('./commands/diff.ts'),
  },
  commit: { short: "Create a new image from a container's changes", load: () => import('./commands/commit.ts') },
  export: { short: "Export a container's filesystem as a tar archive", load: () => import('./commands/export.ts') },
  cp: {
    short: 'Copy files/folders between a container and the local filesystem',
    load: () => import('./commands/cp.ts'),
  },
  images: { short: 'List images', load: () => import('./commands/images.ts') },
  rmi: { short: 'Remove one or more images', load: () => import('./commands/rmi.ts') },
  tag: { short: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE', load: () => import('./commands/tag.ts') },
  import: {
    short: 'Import the contents from a tarball to create a filesystem image',
    load: () => import('./commands/import.ts'),
  },
  history: { short: 'Show the history of an image', load: () => import('./commands/history.ts') },
  pull: { short: 'Download an image from a registry', load: () => import('./commands/pull.ts') },
  push: { short: 'Upload an image to a registry', load: () => import('./commands/push.ts') },
  login: { short: 'Log in to a registry', load: () => import('./commands/login.ts') },
  logout: { short: 'Log out from a registry', load: () => import('./commands/logout.ts') },
  save: {
    short: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
    load: () => import('./commands/save.ts'),
  },
  load: { short: 'Load an image from a tar archive or STDIN', load: () => import('./commands/load.ts') },
  build: { short: 'Build an image from a Dockerfile', load: () => import('./commands/build.ts') },
  compose: {
    short: "Define and run multi-container applications (Docker's Compose plugin, against berthd)",
    load: () => import('./commands/compose.ts'),
  },
  search: { short: 'Search Docker Hub for images', load: () => import('./commands/search.ts') },
  version: { short: 'Show the Berth version information', load: () => import('./commands/version.ts') },
  info: { short: 'Display system-wide information', load: () => import('./commands/info.ts') },
  port: {
    short: 'List port mappings or a specific mapping for the container',
    load: () => import('./commands/port.ts'),
  },
};

/** Management commands: `berth container ls` etc. Values name a module above or below. */
export const groups: Record<string, { short: string; subs: Record<string, string> }> = {
  container: {
    short: 'Manage containers',
    subs: {
      run: 'run',
      create: 'create',
      start: 'start',
      stop: 'stop',
      restart: 'restart',
      kill: 'kill',
      rm: 'rm',
      remove: 'rm',
      ls: 'ps',
      list: 'ps',
      ps: 'ps',
      logs: 'logs',
      inspect: 'container-inspect',
      wait: 'wait',
      rename: 'rename',
      update: 'update',
      prune: 'container-prune',
      attach: 'attach',
      exec: 'exec',
      pause: 'pause',
      unpause: 'unpause',
      top: 'top',
      stats: 'stats',
      diff: 'diff',
      commit: 'commit',
      export: 'export',
      cp: 'cp',
    },
  },
  network: {
    short: 'Manage networks',
    subs: {
      create: 'network-create',
      ls: 'network-ls',
      list: 'network-ls',
      inspect: 'network-inspect',
      rm: 'network-rm',
      remove: 'network-rm',
      prune: 'network-prune',
      connect: 'network-connect',
      disconnect: 'network-disconnect',
    },
  },
  image: {
    short: 'Manage images',
    subs: {
      ls: 'images',
      list: 'images',
      inspect: 'image-inspect',
      history: 'history',
      rm: 'rmi',
      remove: 'rmi',
      tag: 'tag',
      import: 'import',
      prune: 'image-prune',
      pull: 'pull',
      push: 'push',
      save: 'save',
      load: 'load',
      build: 'build',
    },
  },
};

groups.volume = {
  short: 'Manage volumes',
  subs: {
    create: 'volume-create',
    ls: 'volume-ls',
    list: 'volume-ls',
    inspect: 'volume-inspect',
    rm: 'volume-rm',
    remove: 'volume-rm',
    prune: 'volume-prune',
  },
};

// Build and system management (lane of issue 6/4).
groups.builder = { short: 'Manage builds', subs: { build: 'build', prune: 'builder-prune' } };
groups.system = { short: 'Manage Docker', subs: { df: 'system-df', info: 'info', events: 'events' } };

export const groupOnly: Record<string, Entry> = {
  'container-inspect': {
    short: 'Display detailed information on one or more containers',
    load: () => import('./commands/container-inspect.ts'),
  },
  'image-inspect': {
    short: 'Display detailed information on one or more images',
    load: () => import('./commands/image-inspect.ts'),
  },
  'container-prune': { short: 'Remove all stopped containers', load: () => import('./commands/container-prune.ts') },
  'image-prune': { short: 'Remove unused images', load: () => import('./commands/image-prune.ts') },
  'builder-prune': { short: 'Remove build cache', load: () => import('./commands/builder-prune.ts') },
  'system-df': { short: 'Show docker disk usage', load: () => import('./commands/system-df.ts') },
  'volume-create': { short: 'Create a volume', load: () => import('./commands/volume-create.ts') },
  'volume-ls': { short: 'List volumes', load: () => import('./commands/volume-ls.ts') },
  'volume-inspect': {
    short: 'Display detailed information on one or more volumes',
    load: () => import('./commands/volume-inspect.ts'),
  },
  'volume-rm': { short: 'Remove one or more volumes', load: () => import('./commands/volume-rm.ts') },
  'volume-prune': { short: 'Remove unused local volumes', load: () => import('./commands/volume-prune.ts') },
  'network-create': { short: 'Create a network', load: () => import('./commands/network-create.ts') },
  'network-ls': { short: 'List networks', load: () => import('./commands/network-ls.ts') },
  'network-inspect': {
    short: 'Display detailed information on one or more networks',
    load: () => import('./commands/network-inspect.ts'),
  },
  'network-rm': { short: 'Remove one or more networks', load: () => import('./commands/network-rm.ts') },
  'network-prune': { short: 'Remove all unused networks', load: () => import('./commands/network-prune.ts') },
  'network-connect': { short: 'Connect a container to a network', load: () => import('./commands/network-connect.ts') },
  'network-disconnect': {
    short: 'Disconnect a container from a network',
    load: () => import('./commands/network-disconnect.ts'),
  },
};

export function lookup(key: string): Entry | undefined {
  return commands[key] ?? groupOnly[key];
}
