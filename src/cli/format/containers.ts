// `ps` rows: docker's ContainerContext fields, computed from /containers/json items.

import type { ContainerSummary, PortSummary } from '../../client/index.ts';
import { humanDuration, humanSizeWithPrecision } from './units.ts';
import { goTimeString } from './time.ts';
import { goQuote } from '../template/gofmt.ts';
import { renderRows, type Row } from './formatter.ts';

export const DEFAULT_PS_FORMAT =
  'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}';

export const PS_HEADER: Record<string, string> = {
  ID: 'CONTAINER ID',
  Names: 'NAMES',
  Image: 'IMAGE',
  Command: 'COMMAND',
  CreatedAt: 'CREATED AT',
  RunningFor: 'CREATED',
  Ports: 'PORTS',
  State: 'STATE',
  Status: 'STATUS',
  Size: 'SIZE',
  Labels: 'LABELS',
  Mounts: 'MOUNTS',
  LocalVolumes: 'LOCAL VOLUMES',
  Networks: 'NETWORKS',
};

/** stringid.TruncateID: drop an algorithm prefix, keep 12 characters. */
export function truncateId(id: string): string {
  const i = id.indexOf(':');
  const s = i >= 0 ? id.slice(i + 1) : id;
  return s.slice(0, 12);
}

/** formatter.Ellipsis for single-width text. */
export function ellipsis(s: string, max: number): string {
  if (max <= 0) return '';
  const rs = [...s];
  if (max === 1) return rs[0] ?? '';
  if (rs.length <= max) return s;
  return `${rs.slice(0, max - 1).join('')}…`;
}

/** reference.FamiliarString for the common cases: strip docker.io/library/. */
export function familiar(ref: string): string {
  return ref.replace(/^docker\.io\/library\//, '').replace(/^docker\.io\//, '');
}

function displayImage(c: ContainerSummary, trunc: boolean): string {
  const image = c.Image ?? '';
  if (image === '') return '<no image>';
  if (!trunc) return image;
  if (c.ImageID && truncateId(c.ImageID) === truncateId(image)) return truncateId(image);
  if (/^sha256:[0-9a-f]{64}$/.test(image)) return truncateId(image);
  const at = image.indexOf('@');
  return familiar(at >= 0 ? image.slice(0, at) : image);
}

export function displayablePorts(ports: readonly PortSummary[]): string {
  const sorted = [...ports].sort((a, b) => {
    if (a.PrivatePort !== b.PrivatePort) return a.PrivatePort - b.PrivatePort;
    if ((a.IP ?? '') !== (b.IP ?? '')) return (a.IP ?? '') < (b.IP ?? '') ? -1 : 1;
    if ((a.PublicPort ?? 0) !== (b.PublicPort ?? 0)) return (a.PublicPort ?? 0) - (b.PublicPort ?? 0);
    return a.Type < b.Type ? -1 : a.Type > b.Type ? 1 : 0;
  });
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const hostMappings: string[] = [];
  const formGroup = (key: string, start: number, last: number) => {
    const parts = key.split('/');
    let type = parts[0]!;
    let ip = '';
    if (parts.length > 1) {
      ip = parts[0]!;
      type = parts[1]!;
    }
    let g = String(start);
    if (start !== last) g = `${g}-${last}`;
    if (ip) g = `${ip}:${g}->${g}`;
    return `${g}/${type}`;
  };
  for (const p of sorted) {
    const current = p.PrivatePort;
    let key = p.Type;
    if (p.IP) {
      if ((p.PublicPort ?? 0) !== current) {
        const host = p.IP.includes(':') ? `[${p.IP}]` : p.IP;
        hostMappings.push(`${host}:${p.PublicPort ?? 0}->${p.PrivatePort}/${p.Type}`);
        continue;
      }
      key = `${p.IP}/${p.Type}`;
    }
    const g = groups.get(key);
    if (!g) {
      groups.set(key, { first: current, last: current });
      continue;
    }
    if (current === g.last + 1) {
      g.last = current;
      continue;
    }
    result.push(formGroup(key, g.first, g.last));
    groups.set(key, { first: current, last: current });
  }
  for (const [key, g] of groups) result.push(formGroup(key, g.first, g.last));
  return [...result, ...hostMappings].join(', ');
}

export interface RowOptions {
  trunc: boolean;
  nowMs?: number;
}

/** One ps row; `Label` is a method as in docker (`{{.Label "k"}}`). */
export function containerRow(c: ContainerSummary, opts: RowOptions): Row {
  const now = opts.nowMs ?? Date.now();
  const names = (c.Names ?? []).map((n) => n.replace(/^\//, ''));
  const labels = c.Labels ?? {};
  const created = c.Created ?? 0;
  const command = opts.trunc ? ellipsis(c.Command ?? '', 20) : (c.Command ?? '');
  const srw = humanSizeWithPrecision(c.SizeRw ?? 0, 3);
  return {
    ID: opts.trunc ? truncateId(c.Id) : c.Id,
    Names: opts.trunc ? (names.find((n) => !n.includes('/')) ?? '') : names.join(','),
    Image: displayImage(c, opts.trunc),
    Command: goQuote(command),
    CreatedAt: goTimeString(created),
    RunningFor: `${humanDuration(now - created * 1000)} ago`,
    Ports: displayablePorts(c.Ports ?? []),
    State: c.State ?? '',
    Status: c.Status ?? '',
    Size: (c.SizeRootFs ?? 0) > 0 ? `${srw} (virtual ${humanSizeWithPrecision(c.SizeRootFs ?? 0, 3)})` : srw,
    Labels: Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .sort()
      .join(','),
    Mounts: (c.Mounts ?? [])
      .map((m) => (opts.trunc ? ellipsis(m.Name || m.Source || '', 15) : m.Name || m.Source || ''))
      .join(','),
    LocalVolumes: String((c.Mounts ?? []).filter((m) => m.Driver === 'local').length),
    Networks: Object.keys(c.NetworkSettings?.Networks ?? {}).join(','),
    Label: (name: unknown) => labels[String(name)] ?? '',
  };
}

/** formatter.NewContainerFormat */
export function containerFormat(source: string, quiet: boolean, size: boolean): string {
  if (source === '' || source === 'table') {
    if (quiet) return '{{.ID}}';
    return size ? `${DEFAULT_PS_FORMAT}\t{{.Size}}` : DEFAULT_PS_FORMAT;
  }
  if (source === 'raw') {
    if (quiet) return 'container_id: {{.ID}}';
    return `container_id: {{.ID}}\nimage: {{.Image}}\ncommand: {{.Command}}\ncreated_at: {{.CreatedAt}}\nstate: {{- pad .State 1 0}}\nstatus: {{- pad .Status 1 0}}\nnames: {{.Names}}\nlabels: {{- pad .Labels 1 0}}\nports: {{- pad .Ports 1 0}}\n${size ? 'size: {{.Size}}\\n' : ''}`;
  }
  return quiet ? '{{.ID}}' : source;
}

export function renderContainers(
  list: readonly ContainerSummary[],
  opts: { format: string; quiet: boolean; size: boolean; trunc: boolean; nowMs?: number },
): string {
  const format = containerFormat(opts.format, opts.quiet, opts.size);
  const rows = list.map((c) => containerRow(c, { trunc: opts.trunc, nowMs: opts.nowMs }));
  return renderRows(format, rows, PS_HEADER);
}
