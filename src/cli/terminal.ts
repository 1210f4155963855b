/**
 * Terminal safety: every text the CLI prints goes through `terminalSafe`, so user text in it (CSV
 * headers and values, file names, labels) cannot move the cursor, recolour, retitle or clear the
 * terminal. Control characters (C0 but the line feed, DEL, C1 — including the one-byte CSI U+009B) and
 * the bidirectional-override characters become `\uXXXX`: readable, and inside a JSON string the same
 * character, so `--json` output stays valid JSON meaning the same thing. Output that is data (CSV
 * predictions written to stdout) is passed through unchanged by commands that declare it.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const UNSAFE_OR_NEWLINE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const escape = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** `text` with every control character but the line feed escaped as `\uXXXX`. */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, escape);
}

/** One line: `text` with every control character, line feeds included, escaped. */
export function terminalLine(text: string): string {
  return text.replace(UNSAFE_OR_NEWLINE, escape);
}
