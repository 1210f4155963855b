/** Content-Type and Accept headers, parsed (RFC 9110 media types, parameters, q-values). */

export interface MediaType {
  /** type/subtype, lowercase. */
  readonly type: string;
  /** Parameter names lowercase; quoted values unquoted. */
  readonly params: Readonly<Record<string, string>>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Null when the text is not a media type. */
export function parseMediaType(text: string): MediaType | null {
  const parts = splitParams(text);
  const type = parts[0].trim().toLowerCase();
  const slash = type.indexOf('/');
  if (slash <= 0 || !TOKEN.test(type.slice(0, slash)) || !TOKEN.test(type.slice(slash + 1))) return null;
  const params: Record<string, string> = {};
  for (const p of parts.slice(1)) {
    const eq = p.indexOf('=');
    if (eq <= 0) continue;
    const name = p.slice(0, eq).trim().toLowerCase();
    let value = p.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2)
      value = value.slice(1, -1).replace(/\\(.)/g, '$1');
    if (TOKEN.test(name)) params[name] = value;
  }
  return { type, params };
}

/** Splits on ';' outside double quotes. */
function splitParams(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    if (c === '\\' && quoted && i + 1 < text.length) {
      cur += c + text[++i];
      continue;
    }
    if (c === ';' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/**
 * The best of `offered` for an Accept header (highest q, then the client's order, then ours); null when
 * none is acceptable. No header (or an empty one) accepts anything: the first offered.
 */
export function negotiate(accept: string | undefined, offered: readonly string[]): string | null {
  if (accept === undefined || accept.trim() === '') return offered[0] ?? null;
  let best: { type: string; q: number; specificity: number; order: number } | null = null;
  accept.split(',').forEach((range, order) => {
    const m = parseMediaType(range.trim() === '*' ? '*/*' : range);
    if (!m) return;
    const q = m.params.q === undefined ? 1 : Number(m.params.q);
    if (!(q > 0 && q <= 1)) return;
    const [t, s] = m.type.split('/');
    for (const o of offered) {
      const [ot, os] = o.split('/');
      const matches = (t === '*' || t === ot) && (s === '*' || s === os);
      if (!matches) continue;
      const specificity = t === '*' ? 0 : s === '*' ? 1 : 2;
      // A more specific range decides for its type; among candidates, higher q wins, then client order.
      if (
        !best ||
        q > best.q ||
        (q === best.q && specificity > best.specificity) ||
        (q === best.q && specificity === best.specificity && order < best.order)
      )
        best = { type: o, q, specificity, order };
    }
  });
  return (best as { type: string } | null)?.type ?? null;
}
