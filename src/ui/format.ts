/** Small display helpers for the UI (plain text only; nothing here produces HTML). */

export function formatBytes(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '?';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

export function formatInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—';
}

export function formatNumber(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '—';
  const a = Math.abs(n);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return n.toExponential(3);
  return Number(n.toPrecision(5)).toLocaleString('en-US', { maximumFractionDigits: 6 });
}

/** A percentage given in 0–100 (as the profile reports `missingPct`). */
export function formatPct(percent: number): string {
  if (!Number.isFinite(percent)) return '—';
  if (percent === 0) return '0%';
  if (percent < 0.1) return '<0.1%';
  if (percent > 99.9 && percent < 100) return '>99.9%';
  return `${percent.toFixed(percent < 10 ? 1 : 0)}%`;
}

export function formatDate(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  return new Date(ms).toISOString().replace('T00:00:00.000Z', '').replace('.000Z', 'Z');
}

export function delimiterName(d: string): string {
  switch (d) {
    case ',':
      return 'comma';
    case ';':
      return 'semicolon';
    case '\t':
      return 'tab';
    case '|':
      return 'pipe';
    default:
      return JSON.stringify(d);
  }
}

/** Escape text for the few places a library insists on an HTML string (chart tooltips). */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;',
  );
}
