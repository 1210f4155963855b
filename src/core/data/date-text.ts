/**
 * Datetimes (UTC epoch ms) written back in the text format the file used, named as ingest names it
 * (`formatName` in src/core/ingest/datetime.ts: a date part such as 'dd/mm/yyyy', then optionally
 * 'T' or ' ', 'HH:MM', ':SS', '.sss', '±hh:mm'). So a preview shows `25/01/2012`, not
 * `2012-01-25T00:00:00.000Z`. Offsets were applied when reading (values are UTC), so a format with an
 * offset is written with `Z`.
 */

const DATE_PART = /^(yyyy|dd|mm)([-/.])(yyyy|dd|mm)\2(yyyy|dd|mm)/;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** `ms` as text in the named format; ISO 8601 when the format is unknown or the value is not finite. */
export function formatDateAs(ms: number, format: string | undefined): string {
  if (!Number.isFinite(ms)) return '';
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return String(ms);
  const m = format ? DATE_PART.exec(format) : null;
  if (!m || d.getUTCFullYear() < 0 || d.getUTCFullYear() > 9999) return d.toISOString();
  const parts: Record<string, string> = {
    yyyy: pad(d.getUTCFullYear(), 4),
    mm: pad(d.getUTCMonth() + 1),
    dd: pad(d.getUTCDate()),
  };
  const sep = m[2];
  let out = [m[1], m[3], m[4]].map((p) => parts[p]).join(sep);
  const rest = format!.slice(m[0].length);
  if (rest.includes('HH:MM')) {
    out += (rest.startsWith('T') ? 'T' : ' ') + pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes());
    if (rest.includes(':SS')) out += ':' + pad(d.getUTCSeconds());
    if (rest.includes('.sss')) out += '.' + pad(d.getUTCMilliseconds(), 3);
    if (rest.includes('±')) out += 'Z';
  } else if (ms % 86_400_000 !== 0) {
    // a date-only format but a time of day (cannot come from such a file): do not hide it
    out += ' ' + pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds());
  }
  return out;
}

/** An ISO 8601 text (as previews and profiles carry datetimes) re-written in the file's format. */
export function isoToFormat(iso: string, format: string | undefined): string {
  if (!format || iso === '') return iso;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : formatDateAs(ms, format);
}
