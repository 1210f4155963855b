/** Saving bundle bytes and predictions as files through a temporary object URL (no network involved). */
export function downloadBlob(fileName: string, data: BlobPart, type: string): void {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A safe file name from a model or dataset name: letters, digits, `-`, `_`, `.`; never empty. */
export function fileStem(name: string, fallback = 'model'): string {
  const stem = name
    .replace(/\.(zip|csv|json)$/i, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
  return stem || fallback;
}
