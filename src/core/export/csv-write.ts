/**
 * Writing CSV (RFC 4180): a field with a comma, quote or line break is quoted, nothing else changes.
 *
 * Machine-readable files (predictions.csv from every predictor: `cli predict`, predict.mjs, the Score
 * screen) are written faithfully with `csvLine`: class labels in headers and values round-trip exactly,
 * so `-10.000)`, `+3.5`, `=x` or `@home` come back as they went in.
 *
 * The spreadsheet-safe variant (`spreadsheetLine`, a separate download) prefixes an apostrophe to a cell
 * a spreadsheet would run as a formula: one starting with `=`, `@`, tab or carriage return, or with `+`
 * or `-` unless the whole cell is a plain number such as -10, +3.5 or -1e5.
 */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** One RFC 4180 field, faithful: quoted only when it must be. */
export function csvField(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(cells: readonly string[]): string {
  return cells.map(csvField).join(',');
}

/** True when a spreadsheet would treat the cell as a formula (or a DDE command). */
export function isFormulaLike(text: string): boolean {
  if (text.length === 0) return false;
  const c = text[0];
  if (c === '=' || c === '@' || c === '\t' || c === '\r') return true;
  return (c === '+' || c === '-') && !NUMBER.test(text);
}

/** A cell for a spreadsheet: formula-like text gets a leading apostrophe, then RFC 4180 quoting. */
export function spreadsheetCell(text: string): string {
  return csvField(isFormulaLike(text) ? `'${text}` : text);
}

export function spreadsheetLine(cells: readonly string[]): string {
  return cells.map(spreadsheetCell).join(',');
}
