// berth login [OPTIONS] [SERVER]
import { CliError, flagBool, flagStr, type Command } from '../command.ts';
import { getAuth, registryKey, storeAuth } from '../auth-config.ts';
import { login } from '../../client/system.ts';

async function readAll(s: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of s as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks).toString('utf8');
}

const command: Command = {
  name: 'login',
  usage: '[OPTIONS] [SERVER]',
  short: 'Log in to a registry',
  aliases: 'berth login',
  flags: [
    { name: 'password', short: 'p', type: 'string', description: 'Password or Personal Access Token (PAT)' },
    {
      name: 'password-stdin',
      type: 'bool',
      description: 'Take the Password or Personal Access Token (PAT) from stdin',
    },
    { name: 'username', short: 'u', type: 'string', description: 'Username' },
  ],
  args: { max: 1 },
  async run(ctx) {
    const server = registryKey(ctx.args[0]);
    let username = flagStr(ctx, 'username');
    let password = flagStr(ctx, 'password');
    if (flagBool(ctx, 'password-stdin')) {
      if (password) throw new CliError('--password and --password-stdin are mutually exclusive', 1);
      if (!username) throw new CliError('Must provide --username with --password-stdin', 1);
      password = (await readAll(ctx.stdin)).replace(/\r?\n$/, '');
    } else if (password) {
      ctx.io.err('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
    }
    if (!username || !password) {
      const saved = getAuth(ctx.env, server);
      if (!saved?.username) throw new CliError('Error: Cannot perform an interactive login from a non TTY device', 1);
      username ||= saved.username;
      password ||= saved.password ?? '';
    }
    const res = await login(await ctx.client(), { username, password, serveraddress: server });
    const where = storeAuth(ctx.env, server, { username, password, identitytoken: res.IdentityToken || undefined });
    if (where)
      ctx.io.err(
        `WARNING! Your credentials are stored unencrypted in '${where}'.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/go/credential-store/\n\n`,
      );
    ctx.io.out(`${res.Status}\n`);
  },
};

export default command;
