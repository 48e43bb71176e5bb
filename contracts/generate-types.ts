/**
 * Generates contracts/types.ts from the JSON Schemas beside this file: the schemas are the
 * single source of truth, the types follow. `npm run contracts:types` rewrites it;
 * test/contracts/types.test.ts fails when it is stale.
 */
import { compile } from 'json-schema-to-typescript';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTRACT_BASE } from './index';

export const TYPES_FILE = join(__dirname, 'types.ts');

export async function generateTypes(): Promise<string> {
  const files = readdirSync(__dirname).filter((f) => f.endsWith('.schema.json')).sort();
  // One root that references every contract and each of its $defs, so each type is declared
  // once, under its own name, in one module.
  const $defs: Record<string, { $ref: string }> = {};
  for (const f of files) {
    const schema = JSON.parse(readFileSync(join(__dirname, f), 'utf8')) as { title: string; $defs?: object };
    $defs[schema.title] = { $ref: `./${f}` };
    for (const def of Object.keys(schema.$defs ?? {})) $defs[def] = { $ref: `./${f}#/$defs/${def}` };
  }
  const root = { title: 'Contracts', type: 'object', additionalProperties: false, $defs };
  return compile(root as never, 'Contracts', {
    cwd: __dirname,
    bannerComment: `/* Generated from contracts/*.schema.json by \`npm run contracts:types\`. Do not edit. */`,
    unreachableDefinitions: true,
    additionalProperties: false,
    strictIndexSignatures: true,
    ignoreMinAndMaxItems: true,
    format: true,
    style: { singleQuote: true, printWidth: 110 },
    // Contracts refer to each other by their $id: read those from this folder, never the network.
    $refOptions: {
      resolve: {
        contracts: {
          order: 1,
          canRead: (file: { url: string }) => file.url.startsWith(CONTRACT_BASE),
          read: (file: { url: string }) => readFileSync(join(__dirname, file.url.slice(CONTRACT_BASE.length).split('#')[0] ?? ''), 'utf8'),
        },
      },
    },
  });
}

if (require.main === module) {
  generateTypes().then((ts) => {
    writeFileSync(TYPES_FILE, ts);
    console.log('wrote contracts/types.ts');
  });
}
