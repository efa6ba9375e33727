// Go's time.Time.String() for time.Unix(sec, 0): "2006-01-02 15:04:05 -0700 MST".

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

export function goTimeString(unixSeconds: number, tz = process.env.TZ): string {
  const d = new Date(unixSeconds * 1000);
  const offMin = -d.getTimezoneOffset();
  const sign = offMin >= 0 ? '+' : '-';
  const abs = Math.abs(offMin);
  let zone = 'UTC';
  if (offMin !== 0 || (tz && tz !== 'UTC' && tz !== 'Etc/UTC')) {
    const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' })
      .formatToParts(d)
      .find((p) => p.type === 'timeZoneName');
    zone =
      part?.value && !part.value.startsWith('GMT')
        ? part.value
        : `${sign}${pad(Math.floor(abs / 60))}${abs % 60 ? pad(abs % 60) : ''}`;
  }
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)} ${zone}`;
}
