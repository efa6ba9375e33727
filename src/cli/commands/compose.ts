// berth compose [OPTIONS] COMMAND: Docker's Compose plugin (docker-compose, v2 or later)
// run against berthd — the daemon this CLI talks to becomes its DOCKER_HOST. Berth has no
// compose implementation of its own; every argument goes to the plugin as given.
import { CliError, type Command } from '../command.ts';
import { findPlugin, pluginDirs, runPlugin } from '../../client/cli-plugin.ts';
import { parseHost, resolveHost } from '../../client/endpoint.ts';

const command: Command = {
  name: 'compose',
  usage: '[OPTIONS] COMMAND',
  short: "Define and run multi-container applications (Docker's Compose plugin, against berthd)",
  flags: [],
  passthrough: true,
  async run(ctx) {
    const plugin = findPlugin('compose', ctx.env);
    if (!plugin)
      throw new CliError(
        `berth compose runs Docker's Compose plugin, and none is installed: put docker-compose (v2 or later) in one of ${pluginDirs(ctx.env).join(', ')}`,
      );
    const ep = parseHost(resolveHost(ctx.host, ctx.env));
    const env: NodeJS.ProcessEnv = {
      ...ctx.env,
      DOCKER_HOST:
        ep.kind === 'unix'
          ? `unix://${ep.path}`
          : `tcp://${ep.host.includes(':') ? `[${ep.host}]` : ep.host}:${ep.port}`,
    };
    // A docker context would point Compose elsewhere: the host above is the one meant.
    delete env.DOCKER_CONTEXT;
    return runPlugin(plugin, ctx.args, env);
  },
};

export default command;
