/**
 * Writes the seeded shop (shop.ts) to a folder:
 *
 *   npx tsx bench/features/generate.ts --out DIR [--customers 20000] [--purchases 1000000] [--seed 7] [--leak]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generate, type Generated } from './shop.ts';

export { generate };

export function writeGenerated(dir: string, g: Generated): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(g.files)) writeFileSync(join(dir, name), text);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      customers: { type: 'string', default: '20000' },
      purchases: { type: 'string', default: '1000000' },
      seed: { type: 'string', default: '7' },
      leak: { type: 'boolean', default: false },
    },
  });
  if (!values.out) throw new Error('--out DIR is required');
  const g = generate({
    customers: Number(values.customers),
    purchases: Number(values.purchases),
    seed: Number(values.seed),
    leak: values.leak,
  });
  writeGenerated(values.out, g);
  console.log(`${values.out}: ${g.purchaseRows} purchases, ${g.positives} positive customers`);
}
