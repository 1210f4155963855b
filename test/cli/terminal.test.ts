/**
 * Terminal safety: user text printed by the CLI (headers, values, file names, labels) has its control
 * characters escaped, on stdout and stderr, in text and JSON output; data output (predictions CSV) is
 * written as is.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/run.ts';
import { terminalLine, terminalSafe } from '../../src/cli/terminal.ts';

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
  return { code, out, err };
}

const dir = mkdtempSync(join(tmpdir(), 'automl-terminal-'));
// ESC [ 31 m (red), OSC 0 ; title BEL (retitle), the one-byte CSI, a right-to-left override.
const EVIL = 'red\u001b[31mX\u001b]0;pwned\u0007\u009b2J\u202eabc';
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('terminal-safe CLI output', () => {
  it('escapes every control character but the line feed, reversibly as JSON \\u escapes', () => {
    expect(terminalSafe('a\u001b[2Jb\nc')).toBe('a\\u001b[2Jb\nc');
    expect(terminalLine('a\nb\rc\td')).toBe('a\\u000ab\\u000dc\\u0009d');
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const safe = terminalSafe(s);
        expect(safe).not.toMatch(CONTROL);
        // Inside a JSON string the escape means the same character.
        expect(JSON.parse(terminalSafe(JSON.stringify(s)))).toBe(s);
        expect(terminalLine(s)).not.toMatch(/\n/);
      }),
    );
  });

  it('cli profile prints a header holding an ANSI escape sequence escaped (text and --json)', async () => {
    const file = join(dir, 'evil.csv');
    // Enough ordinary rows that the few control bytes do not make the file look binary.
    const rows = Array.from({ length: 200 }, (_, i) => `${i},${i % 2 ? 'a' : 'b'}`).join('\n');
    writeFileSync(file, `${EVIL},y\n${rows}\n`);
    const text = await cli(['profile', file]);
    expect(text.code).toBe(0);
    expect(text.out).not.toMatch(CONTROL);
    expect(text.err).not.toMatch(CONTROL);
    expect(text.out).toContain('red\\u001b[31mX\\u001b]0;pwned\\u0007\\u009b2J\\u202eabc');
    const json = await cli(['profile', file, '--json']);
    expect(json.code).toBe(0);
    expect(json.out).not.toMatch(CONTROL);
    // Still valid JSON naming the column exactly.
    expect(JSON.parse(json.out).schema.map((c: { name: string }) => c.name)).toEqual([EVIL, 'y']);
  });

  it('error lines escape file names and stay on one line', async () => {
    const name = join(dir, 'no\u001b[2Jsuch\nfile.csv');
    const r = await cli(['profile', name]);
    expect(r.code).toBe(2);
    expect(r.err).not.toMatch(CONTROL);
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
    expect(r.err).toContain('no\\u001b[2Jsuch\\u000afile.csv');
    const unknown = await cli(['pro\u001b[31mfile']);
    expect(unknown.err).not.toMatch(CONTROL);
    expect(unknown.err).toContain('pro\\u001b[31mfile');
  });
});
