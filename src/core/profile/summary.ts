/**
 * Human-readable text summary of a profile, for the CLI: a table of columns, the warnings, the
 * target with its task and reason, and the columns most associated with the target.
 */
import type { ColumnProfile, DatasetProfile } from './types.ts';

const MAX_NAME = 28;
const MAX_TARGET_ASSOCIATIONS = 10;

/** Compact number: integers as is, others with 4 significant digits; exponents for extremes. */
export function formatNumber(x: number): string {
  if (Number.isNaN(x)) return '–';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  const a = Math.abs(x);
  if (a >= 1e6 || a < 1e-3) return x.toExponential(2);
  return String(Number(x.toPrecision(4)));
}

function formatDate(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso.slice(0, 19).replace('T', ' ');
}

function clip(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, n - 1) + '…';
}

function pct(x: number): string {
  if (x === 0) return '0%';
  if (x < 0.1) return '<0.1%';
  return `${x.toFixed(1)}%`;
}

function describe(c: ColumnProfile): string {
  if (c.numeric) {
    const n = c.numeric;
    return `mean ${formatNumber(n.mean)}, min ${formatNumber(n.min)}, max ${formatNumber(n.max)}`;
  }
  if (c.datetime) return `${formatDate(c.datetime.min)} to ${formatDate(c.datetime.max)}`;
  const parts: string[] = [];
  const top = c.top[0];
  if (top) {
    const present = c.count - c.missing;
    parts.push(`top ${JSON.stringify(clip(top.value, 24))} (${pct((100 * top.count) / present)})`);
  }
  if (c.text) parts.push(`length mean ${formatNumber(c.text.meanLength)}, max ${c.text.maxLength}`);
  return parts.length > 0 ? parts.join('; ') : '(no values)';
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

export function formatProfileSummary(profile: DatasetProfile): string {
  const lines: string[] = [];
  lines.push(
    `${formatNumber(profile.nRows)} rows × ${profile.nColumns} columns; ` +
      `${profile.duplicateRows === 0 ? 'no' : formatNumber(profile.duplicateRows)} duplicate rows`,
  );
  lines.push('');

  const names = profile.columns.map((c) => clip(c.name, MAX_NAME));
  const wName = Math.max(6, ...names.map((n) => n.length));
  const wType = Math.max(4, ...profile.columns.map((c) => c.type.length));
  const distincts = profile.columns.map((c) => formatNumber(c.distinct));
  const wDist = Math.max(8, ...distincts.map((d) => d.length));
  lines.push(
    `${pad('column', wName)}  ${pad('type', wType)}  ${pad('missing', 7, true)}  ${pad('distinct', wDist, true)}  summary`,
  );
  lines.push(
    `${'-'.repeat(wName)}  ${'-'.repeat(wType)}  ${'-'.repeat(7)}  ${'-'.repeat(wDist)}  ${'-'.repeat(7)}`,
  );
  profile.columns.forEach((c, i) => {
    const mark = c.name === profile.target ? ' ← target' : '';
    lines.push(
      `${pad(names[i], wName)}  ${pad(c.type, wType)}  ${pad(pct(c.missingPct), 7, true)}  ${pad(distincts[i], wDist, true)}  ${describe(c)}${mark}`,
    );
  });

  lines.push('');
  if (profile.warnings.length === 0) lines.push('Warnings: none');
  else {
    lines.push(`Warnings (${profile.warnings.length}):`);
    for (const w of profile.warnings) {
      const tag = w.severity === 'error' ? 'ERROR' : w.severity === 'warning' ? 'warn ' : 'info ';
      lines.push(`  [${tag}] ${w.message}`);
    }
  }

  lines.push('');
  const s = profile.suggestion;
  if (s) {
    lines.push(`Suggested target: ${s.column} (${s.task}) — ${s.reason}`);
    if (s.alternatives.length > 0) lines.push(`  alternatives: ${s.alternatives.join(', ')}`);
  } else lines.push('Suggested target: none (no column looks like something to predict)');
  if (profile.target !== undefined && profile.target !== s?.column)
    lines.push(`Chosen target: ${profile.target}`);
  if (profile.task) lines.push(`Task: ${profile.task.task} — ${profile.task.reason}`);

  const ta = profile.targetAssociations;
  if (ta && ta.length > 0) {
    lines.push('');
    lines.push(`Strongest associations with ${profile.target}:`);
    const shown = ta.slice(0, MAX_TARGET_ASSOCIATIONS);
    const w = Math.max(...shown.map((a) => clip(a.column, MAX_NAME).length));
    for (const a of shown) {
      const method =
        a.method === 'pearson'
          ? 'Pearson r'
          : a.method === 'cramers-v'
            ? "Cramér's V"
            : 'correlation ratio η';
      const bar = '█'.repeat(Math.round(a.strength * 20));
      lines.push(
        `  ${pad(clip(a.column, MAX_NAME), w)}  ${pad(Number.isNaN(a.value) ? '–' : a.value.toFixed(3), 6, true)}  ${pad(method, 19)} ${bar}`,
      );
    }
    if (ta.length > shown.length) lines.push(`  … and ${ta.length - shown.length} more`);
  }
  if (profile.associationsTruncated) {
    lines.push('');
    lines.push('Note: the table is wide, so pairwise associations were computed for a subset of columns.');
  }
  return lines.join('\n');
}
