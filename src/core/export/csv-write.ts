/**
 * Writing CSV (RFC 4180): fields with a comma, quote or line break are quoted. Text cells that a
 * spreadsheet would run as a formula (starting with =, +, -, @, tab or carriage return) get a leading
 * apostrophe, unless the cell is a plain number such as -1.5.
 */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function escapeCell(text: string): string {
  let t = text;
  if (t.length > 0 && '=+-@\t\r'.includes(t[0]) && !NUMBER.test(t)) t = `'${t}`;
  return /[",\n\r]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
}

export function csvLine(cells: readonly string[]): string {
  return cells.map(escapeCell).join(',');
}
