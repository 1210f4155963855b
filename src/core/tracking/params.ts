import type { ParamValue } from './types.ts';

/** Config values as MLflow-style params: numbers, strings, booleans and null kept, anything else as JSON. */
export function flatParams(config: Readonly<Record<string, unknown>>): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  for (const [k, v] of Object.entries(config)) {
    out[k] =
      v === null || ['string', 'number', 'boolean'].includes(typeof v)
        ? (v as ParamValue)
        : JSON.stringify(v);
  }
  return out;
}
