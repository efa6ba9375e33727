// berth system df [-v] [--format]: GET /system/df rendered as docker's formatter/disk_usage.go.
import { flagBool, flagStr, type Command } from '../command.ts';
import type { DiskUsage } from '../../client/index.ts';
import { diskUsage } from '../../client/system.ts';
import { humanDuration, humanSize } from '../format/units.ts';
import { renderRows, type Row } from '../format/formatter.ts';
import { imageRows, IMAGES_HEADER } from '../format/images.ts';
import { volumeRow, VOLUME_HEADER } from '../format/volumes.ts';
import { containerRow, PS_HEADER } from '../format/containers.ts';

const SUMMARY = 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}';
const SUMMARY_HEADER = {
  Type: 'TYPE',
  TotalCount: 'TOTAL',
  Active: 'ACTIVE',
  Size: 'SIZE',
  Reclaimable: 'RECLAIMABLE',
};
const IMAGES =
  'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}';
const CONTAINERS =
  'table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}';
const VOLUMES = 'table {{.Name}}\t{{.Links}}\t{{.Size}}';
const CACHE =
  'table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}';
const CACHE_HEADER = {
  ID: 'CACHE ID',
  CacheType: 'CACHE TYPE',
  Size: 'SIZE',
  CreatedSince: 'CREATED',
  LastUsedSince: 'LAST USED',
  UsageCount: 'USAGE',
  Shared: 'SHARED',
};

const withPercent = (reclaimable: number, total: number) =>
  total > 0 ? `${humanSize(reclaimable)} (${Math.trunc((reclaimable * 100) / total)}%)` : humanSize(reclaimable);
const activeState = (s?: string) => s === 'running' || s === 'paused' || s === 'restarting';

/** The four summary rows, computed as the docker CLI does from the API's answer. */
export function summaryRows(du: DiskUsage): Row[] {
  const images = du.Images ?? [];
  const total = du.LayersSize ?? 0;
  const used = images
    .filter((i) => i.Containers && i.Containers > 0 && i.Size !== -1 && i.SharedSize !== -1)
    .reduce((n, i) => n + (i.Size ?? 0) - (i.SharedSize ?? 0), 0);
  const ctrs = du.Containers ?? [];
  const ctrSize = ctrs.reduce((n, c) => n + (c.SizeRw ?? 0), 0);
  const ctrFree = ctrs.filter((c) => !activeState(c.State)).reduce((n, c) => n + (c.SizeRw ?? 0), 0);
  const vols = du.Volumes ?? [];
  const volSize = vols.reduce((n, v) => n + Math.max(0, v.UsageData?.Size ?? 0), 0);
  const volFree = vols
    .filter((v) => (v.UsageData?.RefCount ?? 0) === 0)
    .reduce((n, v) => n + Math.max(0, v.UsageData?.Size ?? 0), 0);
  const cache = du.BuildCache ?? [];
  return [
    {
      Type: 'Images',
      TotalCount: String(images.length),
      Active: String(images.filter((i) => (i.Containers ?? 0) > 0).length),
      Size: humanSize(total),
      Reclaimable: withPercent(total - used, total),
    },
    {
      Type: 'Containers',
      TotalCount: String(ctrs.length),
      Active: String(ctrs.filter((c) => activeState(c.State)).length),
      Size: humanSize(ctrSize),
      Reclaimable: withPercent(ctrFree, ctrSize),
    },
    {
      Type: 'Local Volumes',
      TotalCount: String(vols.length),
      Active: String(vols.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length),
      Size: humanSize(volSize),
      Reclaimable: withPercent(volFree, volSize),
    },
    {
      Type: 'Build Cache',
      TotalCount: String(cache.length),
      Active: String(cache.filter((c) => c.InUse).length),
      Size: humanSize(cache.filter((c) => !c.Shared).reduce((n, c) => n + c.Size, 0)),
      Reclaimable: humanSize(cache.filter((c) => !c.Shared && !c.InUse).reduce((n, c) => n + c.Size, 0)),
    },
  ];
}

function verbose(du: DiskUsage, now: number): string {
  const since = (iso?: string | null) => (iso ? `${humanDuration(now - Date.parse(iso))} ago` : '');
  const images = (du.Images ?? []).map(
    (i) => imageRows(i, { trunc: true, digest: false, format: IMAGES, nowMs: now })[0],
  );
  const ctrs = (du.Containers ?? []).map((c) => containerRow({ ...c, SizeRootFs: 0 }, { trunc: true, nowMs: now }));
  const cache = [...(du.BuildCache ?? [])]
    .sort((a, b) => Date.parse(b.LastUsedAt ?? '') - Date.parse(a.LastUsedAt ?? ''))
    .map(
      (c): Row => ({
        ID: c.ID,
        CacheType: c.Type,
        Size: humanSize(c.Size),
        CreatedSince: since(c.CreatedAt),
        LastUsedSince: since(c.LastUsedAt),
        UsageCount: String(c.UsageCount),
        Shared: String(c.Shared),
      }),
    );
  const cacheTotal = (du.BuildCache ?? []).filter((c) => !c.Shared).reduce((n, c) => n + c.Size, 0);
  return (
    'Images space usage:\n\n' +
    renderRows(IMAGES, images, IMAGES_HEADER) +
    '\nContainers space usage:\n\n' +
    renderRows(CONTAINERS, ctrs, { ...PS_HEADER, LocalVolumes: 'LOCAL VOLUMES', Size: 'SIZE' }) +
    '\nLocal Volumes space usage:\n\n' +
    renderRows(VOLUMES, (du.Volumes ?? []).map(volumeRow), VOLUME_HEADER) +
    `\nBuild cache usage: ${humanSize(cacheTotal)}\n\n` +
    renderRows(CACHE, cache, CACHE_HEADER)
  );
}

const command: Command = {
  name: 'df',
  usage: '[OPTIONS]',
  short: 'Show docker disk usage',
  flags: [
    { name: 'format', type: 'string', description: 'Format output using a custom template' },
    { name: 'verbose', short: 'v', type: 'bool', description: 'Show detailed information on space usage' },
  ],
  args: { max: 0 },
  async run(ctx) {
    const du = await diskUsage(await ctx.client());
    const format = flagStr(ctx, 'format') || 'table';
    if (flagBool(ctx, 'verbose') && format === 'table') return void ctx.io.out(verbose(du, Date.now()));
    const source =
      format === 'table'
        ? SUMMARY
        : format === 'raw'
          ? 'type: {{.Type}}\ntotal: {{.TotalCount}}\nactive: {{.Active}}\nsize: {{.Size}}\nreclaimable: {{.Reclaimable}}\n'
          : format;
    ctx.io.out(renderRows(source, summaryRows(du), SUMMARY_HEADER));
  },
};

export default command;
