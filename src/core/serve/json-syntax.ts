/**
 * Where a JSON text goes wrong, for an error message: `JSON.parse` says only that it failed (and
 * echoes the text). This scanner follows RFC 8259 and returns the offset of the first error and the
 * reason in words; it runs only after `JSON.parse` has refused a body. Iterative (no recursion), so a
 * deeply nested body cannot overflow the stack.
 */

export interface JsonSyntaxProblem {
  /** 0-based offset into the text (UTF-16 code units). */
  readonly offset: number;
  /** 1-based line and column. */
  readonly line: number;
  readonly column: number;
  readonly reason: string;
}

type State = 'value' | 'valueOrClose' | 'key' | 'keyOrClose' | 'colon' | 'commaOrClose' | 'end';

const WS = new Set([' ', '\t', '\n', '\r']);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WORD = /[A-Za-z_][A-Za-z0-9_]*/y;
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);
const HEX4 = /^[0-9a-fA-F]{4}$/;

function at(text: string, offset: number, reason: string): JsonSyntaxProblem {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++)
    if (text[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  return { offset, line, column: offset - lineStart + 1, reason };
}

function describeChar(c: string): string {
  const code = c.codePointAt(0)!;
  if (code < 0x20 || code === 0x7f) return `the control character U+${code.toString(16).padStart(4, '0')}`;
  return `'${c}'`;
}

/** Scans a string starting at the opening quote; returns the offset after the closing quote, or a problem. */
function scanString(text: string, start: number): number | JsonSyntaxProblem {
  let i = start + 1;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') return i + 1;
    if (c === '\\') {
      const e = text[i + 1];
      if (e === undefined) break;
      if (e === 'u') {
        if (!HEX4.test(text.slice(i + 2, i + 6))) return at(text, i, 'a \\u escape needs four hex digits');
        i += 6;
        continue;
      }
      if (!ESCAPES.has(e)) return at(text, i, `invalid escape \\${e} in a string`);
      i += 2;
      continue;
    }
    if (c.charCodeAt(0) < 0x20)
      return at(text, i, `${describeChar(c)} inside a string (escape it, e.g. \\n)`);
    i++;
  }
  return at(text, start, 'unterminated string (no closing ")');
}

/** Null when `text` is valid JSON; else the first problem. */
export function jsonSyntaxProblem(text: string): JsonSyntaxProblem | null {
  const stack: ('{' | '[')[] = [];
  let state = 'value' as State;
  let i = 0;
  const afterValue = (): State => (stack.length === 0 ? 'end' : 'commaOrClose');
  for (;;) {
    while (i < text.length && WS.has(text[i])) i++;
    if (i >= text.length) {
      if (state === 'end') return null;
      if (stack.length === 0 && state === 'value') return at(text, i, 'the body holds no JSON value');
      const open = stack.at(-1) === '{' ? 'object' : 'list';
      return at(text, i, `unexpected end of the body (an unclosed ${open})`);
    }
    const c = text[i];
    switch (state) {
      case 'end':
        return at(text, i, `unexpected ${describeChar(c)} after the end of the JSON value`);
      case 'colon':
        if (c !== ':') return at(text, i, `expected ':' after the property name, found ${describeChar(c)}`);
        i++;
        state = 'value';
        break;
      case 'key':
      case 'keyOrClose':
        if (c === '}' && state === 'keyOrClose') {
          stack.pop();
          i++;
          state = afterValue();
          break;
        }
        if (c !== '"')
          return at(
            text,
            i,
            `expected a property name in double quotes${state === 'keyOrClose' ? " or '}'" : ''}, found ${describeChar(c)}` +
              (state === 'key' && c === '}' ? ' (a trailing comma is not JSON)' : ''),
          );
        {
          const end = scanString(text, i);
          if (typeof end !== 'number') return end;
          i = end;
        }
        state = 'colon';
        break;
      case 'commaOrClose': {
        const close = stack.at(-1) === '{' ? '}' : ']';
        if (c === ',') {
          i++;
          state = stack.at(-1) === '{' ? 'key' : 'value';
        } else if (c === close) {
          stack.pop();
          i++;
          state = afterValue();
        } else return at(text, i, `expected ',' or '${close}', found ${describeChar(c)}`);
        break;
      }
      case 'value':
      case 'valueOrClose': {
        if (c === ']' && state === 'valueOrClose') {
          stack.pop();
          i++;
          state = afterValue();
          break;
        }
        if (c === '{' || c === '[') {
          stack.push(c);
          i++;
          state = c === '{' ? 'keyOrClose' : 'valueOrClose';
          break;
        }
        if (c === '"') {
          const end = scanString(text, i);
          if (typeof end !== 'number') return end;
          i = end;
          state = afterValue();
          break;
        }
        if (c === '-' || (c >= '0' && c <= '9')) {
          if (text.startsWith('-Infinity', i))
            return at(text, i, '-Infinity is not JSON (the model takes finite numbers; null for missing)');
          NUMBER.lastIndex = i;
          const m = NUMBER.exec(text);
          if (!m) return at(text, i, `invalid number`);
          const next = text[i + m[0].length];
          if (next !== undefined && /[0-9.eE+\-A-Za-z_]/.test(next))
            return at(text, i, `invalid number (a JSON number has no leading zeros, hex or trailing text)`);
          i += m[0].length;
          state = afterValue();
          break;
        }
        WORD.lastIndex = i;
        const w = WORD.exec(text);
        if (w) {
          const word = w[0];
          if (word === 'true' || word === 'false' || word === 'null') {
            i += word.length;
            state = afterValue();
            break;
          }
          if (word === 'NaN') return at(text, i, 'NaN is not JSON (send null for a missing value)');
          if (word === 'Infinity')
            return at(text, i, 'Infinity is not JSON (the model takes finite numbers; null for missing)');
          if (word === 'undefined' || word === 'None')
            return at(text, i, `${word} is not JSON (send null for a missing value)`);
          if (word === 'True' || word === 'False')
            return at(text, i, `${word} is not JSON (booleans are true and false)`);
          return at(text, i, 'unexpected word (strings need double quotes)');
        }
        if (c === "'") return at(text, i, 'strings need double quotes, not single quotes');
        if (c === ']' || c === '}' || c === ',')
          return at(
            text,
            i,
            `expected a value, found ${describeChar(c)}${c !== ',' && state === 'value' && stack.length ? ' (a trailing comma is not JSON)' : ''}`,
          );
        return at(text, i, `expected a value, found ${describeChar(c)}`);
      }
    }
  }
}
