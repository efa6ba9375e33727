// Docker's legacy link environment (daemon/links): for `--link web:w`, W_NAME, W_PORT,
// W_PORT_<port>_<PROTO>{,_ADDR,_PORT,_PROTO}, _START/_END for runs of consecutive ports,
// and W_ENV_<var> for the linked container's own Env (minus HOME and PATH).
import type { Container } from '../../containers/store.ts';

export interface ResolvedLink {
  ip: string;
  alias: string;
  name: string;
  target: Container;
}

interface Port {
  port: number;
  proto: string;
}

function exposedPorts(t: Container): Port[] {
  const keys = new Set([
    ...Object.keys(t.record.config.ExposedPorts ?? {}),
    ...Object.keys(t.record.hostConfig.PortBindings ?? {}),
  ]);
  return (
    [...keys]
      .map((k) => {
        const [p, proto = 'tcp'] = k.split('/');
        return { port: Number(p), proto: proto.toLowerCase() };
      })
      .filter((p) => Number.isInteger(p.port) && p.port > 0)
      // Docker's nat.Sort: by number, tcp before other protocols on a tie.
      .sort(
        (a, b) => a.port - b.port || (a.proto === 'tcp' ? -1 : b.proto === 'tcp' ? 1 : a.proto.localeCompare(b.proto)),
      )
  );
}

export function linkEnv(parentName: string, l: ResolvedLink): string[] {
  const alias = l.alias.toUpperCase().replaceAll('-', '_');
  const env: string[] = [];
  const ports = exposedPorts(l.target);
  const url = (p: Port) => `${p.proto}://${l.ip}:${p.port}`;
  if (ports.length) env.push(`${alias}_PORT=${url(ports[0])}`);
  for (let i = 0; i < ports.length; ) {
    const first = ports[i];
    let j = i;
    while (j + 1 < ports.length && ports[j + 1].proto === first.proto && ports[j + 1].port === ports[j].port + 1) j++;
    if (j > i) {
      const pre = `${alias}_PORT_${first.port}_${first.proto.toUpperCase()}`;
      env.push(
        `${pre}_START=${url(first)}`,
        `${pre}_ADDR=${l.ip}`,
        `${pre}_PROTO=${first.proto}`,
        `${pre}_PORT_START=${first.port}`,
        `${pre}_END=${url(ports[j])}`,
        `${pre}_PORT_END=${ports[j].port}`,
      );
    }
    i = j + 1;
  }
  for (const p of ports) {
    const pre = `${alias}_PORT_${p.port}_${p.proto.toUpperCase()}`;
    env.push(`${pre}=${url(p)}`, `${pre}_ADDR=${l.ip}`, `${pre}_PORT=${p.port}`, `${pre}_PROTO=${p.proto}`);
  }
  env.push(`${alias}_NAME=/${parentName.replace(/^\//, '')}/${l.alias}`);
  for (const kv of l.target.record.config.Env ?? []) {
    const at = kv.indexOf('=');
    if (at <= 0) continue;
    const name = kv.slice(0, at);
    if (name === 'HOME' || name === 'PATH') continue;
    env.push(`${alias}_ENV_${name}=${kv.slice(at + 1)}`);
  }
  return env;
}
