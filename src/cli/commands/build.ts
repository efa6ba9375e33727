// berth build [OPTIONS] PATH | - : sends the context to POST /build (the legacy builder's
// protocol) and prints the stream as docker does; the RUN's exit code is ours on failure.
// A directory context goes incrementally to a berthd that keeps contexts (_build-sync.ts).
import { writeFileSync, statSync } from 'node:fs';
import { SECRETS_HEADER, secretsHeader } from './_build-secrets.ts';
import { CliError, flagBool, flagList, flagStr, type Command } from '../command.ts';
import { readJsonLines, type ProgressMessage } from '../../client/progress.ts';
import { walkContext } from './_build-context.ts';
import { memBytes } from './container-values.ts';
import { uploadContext } from './_build-sync.ts';
import { buildUlimits, registryConfig } from './_build-auth.ts';

function keyValues(list: string[], env: NodeJS.ProcessEnv, fromEnv: boolean): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const kv of list) {
    const i = kv.indexOf('=');
    if (i < 0) out[kv] = fromEnv ? (env[kv] ?? null) : '';
    else out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

const command: Command = {
  name: 'build',
  usage: '[OPTIONS] PATH | URL | -',
  short: 'Build an image from a Dockerfile',
  aliases: 'berth image build, berth build, berth builder build',
  flags: [
    { name: 'tag', short: 't', type: 'list', description: 'Name and optionally a tag in the "name:tag" format' },
    { name: 'file', short: 'f', type: 'string', description: 'Name of the Dockerfile (Default is "PATH/Dockerfile")' },
    { name: 'build-arg', type: 'list', description: 'Set build-time variables' },
    { name: 'label', type: 'list', description: 'Set metadata for an image' },
    { name: 'target', type: 'string', description: 'Set the target build stage to build.' },
    { name: 'no-cache', type: 'bool', description: 'Do not use cache when building the image' },
    { name: 'pull', type: 'bool', description: 'Always attempt to pull a newer version of the image' },
    { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress the build output and print image ID on success' },
    { name: 'iidfile', type: 'string', description: 'Write the image ID to the file' },
    { name: 'network', type: 'string', description: 'Set the networking mode for the RUN instructions during build' },
    { name: 'add-host', type: 'list', description: 'Add a custom host-to-IP mapping ("host:ip")' },
    { name: 'rm', type: 'bool', default: true, description: 'Remove intermediate containers after a successful build' },
    { name: 'force-rm', type: 'bool', description: 'Always remove intermediate containers' },
    { name: 'shm-size', type: 'string', description: 'Size of "/dev/shm"' },
    { name: 'platform', type: 'string', description: 'Set platform if server is multi-platform capable' },
    { name: 'cache-from', type: 'list', description: 'Images to consider as cache sources' },
    { name: 'ulimit', type: 'list', description: 'Ulimit options', valueName: 'ulimit' },
    {
      name: 'secret',
      type: 'list',
      description: 'Secret to expose to the build (format: "id=mysecret[,src=/local/secret]")',
    },
  ],
  args: { exact: 1 },
  async run(ctx) {
    const path = ctx.args[0];
    let body: NodeJS.ReadableStream;
    let session: string | undefined;
    let dockerfile = flagStr(ctx, 'file');
    const secrets = secretsHeader(flagList(ctx, 'secret'), ctx.env);
    const client = await ctx.client();
    if (path === '-') {
      body = ctx.stdin;
    } else {
      try {
        if (!statSync(path).isDirectory()) throw new Error();
      } catch {
        throw new CliError(`unable to prepare context: path "${path}" not found`, 1);
      }
      if (dockerfile === '-')
        throw new CliError('reading the Dockerfile from stdin with a context directory is not supported yet', 1);
      const walked = walkContext(path, dockerfile || undefined);
      ({ body, session } = await uploadContext(client.transport, path, walked));
      dockerfile = walked.dockerfile;
    }
    const quiet = flagBool(ctx, 'quiet');
    const labels = keyValues(flagList(ctx, 'label'), ctx.env, false);
    let shmSize: number;
    try {
      shmSize = memBytes('--shm-size', flagStr(ctx, 'shm-size'));
    } catch (err) {
      throw new CliError((err as Error).message, 125);
    }
    const res = await client.transport.request('POST', '/build', {
      query: {
        t: flagList(ctx, 'tag'),
        dockerfile: dockerfile || undefined,
        buildargs: JSON.stringify(keyValues(flagList(ctx, 'build-arg'), ctx.env, true)),
        labels: JSON.stringify(labels),
        target: flagStr(ctx, 'target') || undefined,
        nocache: flagBool(ctx, 'no-cache') || undefined,
        pull: flagBool(ctx, 'pull') || undefined,
        rm: flagBool(ctx, 'rm') ? undefined : '0',
        forcerm: flagBool(ctx, 'force-rm') || undefined,
        q: quiet || undefined,
        networkmode: flagStr(ctx, 'network') || undefined,
        extrahosts: flagList(ctx, 'add-host').join(',') || undefined,
        platform: flagStr(ctx, 'platform') || undefined,
        cachefrom: flagList(ctx, 'cache-from').length ? JSON.stringify(flagList(ctx, 'cache-from')) : undefined,
        berthcontext: session,
        ulimits: buildUlimits(flagList(ctx, 'ulimit')),
        shmsize: shmSize || undefined,
      } as never,
      body: body as never,
      headers: {
        'Content-Type': 'application/x-tar',
        ...(secrets ? { [SECRETS_HEADER]: secrets } : {}),
        ...registryConfig(ctx.env),
      },
    });
    let id = '';
    // -q: the daemon sends the output only when the build fails (then shown on stderr, as
    // the docker CLI does), else the image ID alone.
    const held: string[] = [];
    for await (const msg of readJsonLines<ProgressMessage>(res as AsyncIterable<Buffer>)) {
      if (msg.error || msg.errorDetail?.message) {
        if (held.length) ctx.io.err(held.join(''));
        throw new CliError(msg.errorDetail?.message || msg.error || 'unknown error', msg.errorDetail?.code || 1);
      }
      const aux = msg.aux as { ID?: string } | undefined;
      if (aux?.ID) {
        id = aux.ID;
        continue;
      }
      if (quiet) {
        if (typeof msg.stream === 'string' && /^sha256:[0-9a-f]{64}\s*$/.test(msg.stream)) id = msg.stream.trim();
        else if (msg.stream !== undefined) held.push(msg.stream);
        else if (msg.status !== undefined) held.push(`${msg.status}\n`);
        continue;
      }
      if (msg.stream !== undefined) ctx.io.out(msg.stream);
      else if (msg.status !== undefined) ctx.io.out(`${msg.status}\n`);
    }
    if (!id) throw new CliError('error reading the build output: unexpected EOF (the daemon went away?)', 1);
    if (quiet) ctx.io.out(id + '\n');
    const iid = flagStr(ctx, 'iidfile');
    if (iid) writeFileSync(iid, id);
  },
};

export default command;
