/**
 * Test helper: a bundle's manifest with `files` re-hashed for the files as they are now, so that a
 * test can hand the loader a deliberately inconsistent model or pipeline (as a careful forger would)
 * and see the consistency checks that come after the integrity check.
 */
import { sha256Hex } from '../../src/core/export/integrity.ts';

export function rehashed(files: Readonly<Record<string, string>>): Record<string, string> {
  const text = files['manifest.json'];
  if (text === undefined) return { ...files };
  let m: { files?: unknown };
  try {
    m = JSON.parse(text) as { files?: unknown };
  } catch {
    return { ...files };
  }
  if (
    m === null ||
    typeof m !== 'object' ||
    m.files === null ||
    typeof m.files !== 'object' ||
    Array.isArray(m.files)
  )
    return { ...files };
  const hashes: Record<string, string> = {};
  for (const name of Object.keys(m.files as object))
    hashes[name] =
      files[name] === undefined ? (m.files as Record<string, string>)[name] : sha256Hex(files[name]);
  return { ...files, 'manifest.json': JSON.stringify({ ...m, files: hashes }, null, 2) + '\n' };
}
