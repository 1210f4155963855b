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

/**
 * THE number formatter of the UI (one rule set for every screen):
 * - integers are shown as integers, in full, never in exponent form (3962000000, not 3.962e+9);
 *   counts get thousands separators, ids and seeds (`kind: 'id'`, or a key such as `seed`) none;
 * - probabilities (`kind: 'probability'`) with 3 significant digits (4 close to 0 or 1);
 * - metrics with 4 significant digits (a key from the metric catalog picks that);
 * - other numbers with 5 significant digits; exponent form only for non-integers far from 1
 *   (below 1e-4 or from 1e15 up).
 * Missing or NaN → `empty` ('—' by default).
 */
export type NumberKind = 'auto' | 'metric' | 'probability' | 'count' | 'id' | 'seconds';

export interface FormatOptions {
  readonly kind?: NumberKind;
  /** A metric or parameter name: picks the kind when `kind` is 'auto' (seed → id, roc_auc → metric). */
  readonly key?: string;
  /** Shown for undefined / NaN. */
  readonly empty?: string;
}

const ID_KEY = /(^|[_.\s])(seed|id|random_state|trial|version|step|fold)$/i;
const METRIC_KEY =
  /(^|_)(roc_auc|pr_auc|auc|accuracy|balanced_accuracy|f1|macro_f1|precision|recall|log_loss|logloss|rmse|mae|mse|r2|loss)(_std|_fold|_mean)?$/i;
const SECONDS_KEY = /(_seconds|_secs|_time)$/i;

/** The kind of a value shown under `key` (when the caller did not say). */
export function kindOfKey(key: string | undefined): NumberKind {
  if (!key) return 'auto';
  if (ID_KEY.test(key)) return 'id';
  if (SECONDS_KEY.test(key)) return 'seconds';
  if (METRIC_KEY.test(key)) return 'metric';
  return 'auto';
}

/** An integer in full digits (no exponent however large). */
function integerText(n: number, group: boolean): string {
  const s = Math.abs(n) < 1e21 ? n.toFixed(0) : BigInt(n).toString();
  if (!group) return s === '-0' ? '0' : s;
  const neg = s.startsWith('-');
  const digits = neg ? s.slice(1) : s;
  return (neg ? '-' : '') + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** `n` to `digits` significant digits, trailing zeros dropped, exponent only when far from 1. */
function significant(n: number, digits: number): string {
  const a = Math.abs(n);
  if (a !== 0 && (a < 1e-4 || a >= 1e15)) {
    const [m, e] = n.toExponential(Math.max(0, digits - 1)).split('e');
    return `${m.includes('.') ? m.replace(/\.?0+$/, '') : m}e${e}`;
  }
  const r = Number(n.toPrecision(digits));
  if (Number.isInteger(r) && Math.abs(r) >= 1e4) return integerText(r, true);
  // toPrecision may give exponent form for large values; Number → plain decimal text.
  return String(r).includes('e') ? r.toLocaleString('en-US', { maximumFractionDigits: 20 }) : String(r);
}

export function formatValue(n: number | null | undefined, opts: FormatOptions = {}): string {
  const empty = opts.empty ?? '—';
  if (n === undefined || n === null || Number.isNaN(n)) return empty;
  if (!Number.isFinite(n)) return n > 0 ? '∞' : '−∞';
  const kind = !opts.kind || opts.kind === 'auto' ? kindOfKey(opts.key) : opts.kind;
  if (kind === 'id') return Number.isInteger(n) ? integerText(n, false) : String(n);
  if (kind === 'count') return integerText(Math.round(n), true);
  if (Number.isInteger(n)) return integerText(n, kind !== 'metric' || Math.abs(n) >= 1e4);
  switch (kind) {
    case 'probability':
      return significant(n, n > 0.999 || n < 0.001 ? 4 : 3);
    case 'metric':
      return significant(n, 4);
    case 'seconds':
      return significant(n, 3);
    default:
      return significant(n, 5);
  }
}

/** A number in a table or summary (5 significant digits, integers whole); '—' when missing. */
export function formatNumber(n: number | undefined): string {
  return formatValue(n);
}

/** A probability (3–4 significant digits). */
export function formatProbability(p: number | undefined): string {
  return formatValue(p, { kind: 'probability' });
}

/** A metric's value under its key (4 significant digits; integers whole). */
export function formatMetricValue(key: string, v: number | undefined, empty = '—'): string {
  const kind = kindOfKey(key);
  return formatValue(v, { kind: kind === 'auto' ? 'metric' : kind, empty });
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
