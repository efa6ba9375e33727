// docker's volume formatter (cli/command/formatter/volume.go): rows, headers, formats.
import type { Volume } from '../../client/index.ts';
import { renderRows, type Row } from './formatter.ts';
import { humanSize } from './units.ts';

/** What a row needs of the API's Volume (volume ls, system df -v). */
export type VolumeSummary = Pick<Volume, 'Name' | 'Driver' | 'Labels'> &
  Partial<Pick<Volume, 'Scope' | 'Mountpoint' | 'UsageData'>>;

export const VOLUME_HEADER: Record<string, string> = {
  ID: 'ID',
  Name: 'VOLUME NAME',
  Group: 'GROUP',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  Availability: 'AVAILABILITY',
  Mountpoint: 'MOUNTPOINT',
  Labels: 'LABELS',
  Links: 'LINKS',
  Size: 'SIZE',
  Status: 'STATUS',
};

export function volumeRow(v: VolumeSummary): Row {
  const labels = v.Labels ?? {};
  return {
    Name: v.Name,
    Driver: v.Driver,
    Scope: v.Scope ?? '',
    Mountpoint: v.Mountpoint ?? '',
    Labels: Object.entries(labels)
      .map(([k, x]) => `${k}=${x}`)
      .sort()
      .join(','),
    Links: v.UsageData ? String(v.UsageData.RefCount) : 'N/A',
    Size: v.UsageData ? humanSize(v.UsageData.Size) : 'N/A',
    Group: 'N/A',
    Availability: 'N/A',
    Status: 'N/A',
    Label: (name: unknown) => labels[String(name)] ?? '',
  };
}

/** formatter.NewVolumeFormat */
export function volumeFormat(source: string, quiet: boolean): string {
  if (source === '' || source === 'table') return quiet ? '{{.Name}}' : 'table {{.Driver}}\t{{.Name}}';
  if (source === 'raw') return quiet ? 'name: {{.Name}}' : 'name: {{.Name}}\\ndriver: {{.Driver}}\\n';
  return source;
}

/** sortorder.NaturalLess: digit runs compare as numbers. */
export function naturalLess(a: string, b: string): boolean {
  const re = /(\d+|\D+)/g;
  const pa = a.match(re) ?? [];
  const pb = b.match(re) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === y) continue;
    const dx = /^\d/.test(x);
    const dy = /^\d/.test(y);
    if (dx && dy) {
      const nx = x.replace(/^0+/, '');
      const ny = y.replace(/^0+/, '');
      if (nx.length !== ny.length) return nx.length < ny.length;
      if (nx !== ny) return nx < ny;
      return x.length < y.length;
    }
    return x < y;
  }
  return pa.length < pb.length;
}

export function renderVolumes(list: readonly VolumeSummary[], opts: { format: string; quiet: boolean }): string {
  const sorted = [...list].sort((a, b) => (naturalLess(a.Name, b.Name) ? -1 : naturalLess(b.Name, a.Name) ? 1 : 0));
  return renderRows(volumeFormat(opts.format, opts.quiet), sorted.map(volumeRow), VOLUME_HEADER);
}
