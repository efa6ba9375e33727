// docker/go-units: HumanDuration, HumanSize(WithPrecision), RAMInBytes; Go duration parsing.

import { formatG } from '../template/gofmt.ts';
import { parseGoDuration } from '../../common/go-values.ts';

/** units.HumanDuration (ms in, as Go's time.Duration would be). */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(ms / 3600000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ms / 3600000) / 24 / 365)} years`;
}

const DECIMAL = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/** units.HumanSizeWithPrecision: decimal units, Go's %.*g. */
export function humanSizeWithPrecision(size: number, precision: number): string {
  let i = 0;
  while (size >= 1000 && i < DECIMAL.length - 1) {
    size /= 1000;
    i++;
  }
  return `${formatG(size, precision)}${DECIMAL[i]}`;
}

/** units.BytesSize: binary units, %.4g ("7.66GiB"). */
export function bytesSize(size: number): string {
  const abbrs = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];
  let i = 0;
  while (size >= 1024 && i < abbrs.length - 1) {
    size /= 1024;
    i++;
  }
  return `${formatG(size, 4)}${abbrs[i]}`;
}

/** units.HumanSize (4 significant digits). */
export const humanSize = (size: number) => humanSizeWithPrecision(size, 4);

export { parseGoDuration, ramInBytes } from '../../common/go-values.ts';

/**
 * docker's timetypes.GetTimestamp: a Go duration is relative to now; RFC3339-ish
 * dates and unix timestamps pass as "seconds[.nanos]".
 */
export function getTimestamp(value: string, nowMs = Date.now()): string {
  const d = parseGoDuration(value);
  if (d !== undefined) {
    const t = nowMs - d;
    return `${Math.floor(t / 1000)}.${String(Math.round((t % 1000) * 1e6)).padStart(9, '0')}`;
  }
  if (/^\d+(\.\d+)?$/.test(value)) return value;
  let v = value;
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) v += 'T00:00:00';
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(v)) v += 'Z';
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new Error(`failed to parse value as time or duration: "${value}"`);
  return `${Math.floor(t / 1000)}.${String((t % 1000) * 1e6).padStart(9, '0')}`;
}
