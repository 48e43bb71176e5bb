import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import providerSchema from '../../contracts/provider.schema.json';
import { PROVIDER_OPTIONS_DOC, renderProviderOptions, rowsOf, type Row } from '../../connectors/docs';
import { POLICY_DEFAULTS } from '../../connectors/resilience';
import { DEFAULT_XML_LIMITS } from '../../connectors/xml/parse';

type Root = Parameters<typeof rowsOf>[0];

describe('docs/provider-options.md', () => {
  it('is what connectors/docs.ts generates from provider.schema.json (run `npx tsx connectors/docs.ts`)', () => {
    const committed = readFileSync(PROVIDER_OPTIONS_DOC, 'utf8');
    assert.ok(committed === renderProviderOptions(), 'docs/provider-options.md is stale: run npx tsx connectors/docs.ts and commit it');
  });

  it('describes every option of every section', () => {
    const root = providerSchema as unknown as Root;
    const rows: Array<Row & { section: string }> = [];
    const collect = (section: string, node: unknown) => {
      const r: Row[] = [];
      rowsOf(root, node as Root, '', r);
      rows.push(...r.map((x) => ({ ...x, section })));
    };
    collect('ProviderDefinition', root);
    for (const [name, def] of Object.entries(root.$defs)) collect(name, def);
    assert.ok(rows.length > 80, `${rows.length} options`);
    const undocumented = rows.filter((r) => r.description.replace('**Required.**', '').trim() === '').map((r) => `${r.section}: ${r.path}`);
    assert.deepEqual(undocumented, [], 'options without a description in provider.schema.json');
  });

  it('shows the defaults the connectors use', () => {
    const doc = readFileSync(PROVIDER_OPTIONS_DOC, 'utf8');
    const row = (section: string, path: string) => {
      const part = doc.split(`\n## ${section}\n`)[1]!.split('\n## ')[0]!;
      return part.split('\n').find((l) => l.startsWith(`| \`${path}\` |`)) ?? '';
    };
    assert.ok(row('Policy', 'retry.maxAttempts').includes(`| \`${POLICY_DEFAULTS.retry.maxAttempts}\` |`));
    assert.ok(row('Policy', 'retry.statuses').includes(`\`${JSON.stringify(POLICY_DEFAULTS.retry.statuses)}\``));
    assert.ok(row('Policy', 'timeoutMs').includes(`| \`${POLICY_DEFAULTS.timeoutMs}\` |`));
    assert.ok(row('XmlLimits', 'maxBytes').includes(`| \`${DEFAULT_XML_LIMITS.maxBytes}\` |`));
  });

  it('follows the schema: a new option appears with its type, default, description and example', () => {
    const schema = structuredClone(providerSchema) as unknown as { $defs: { XmlLimits: { properties: Record<string, unknown> } } };
    schema.$defs.XmlLimits.properties.maxAttributes = { type: 'integer', minimum: 1, default: 256, description: 'Most attributes | per element.', examples: [64] };
    const text = renderProviderOptions(schema);
    assert.ok(text.includes('| `maxAttributes` | integer (≥ 1) | `256` | Most attributes \\| per element. | `64` |'), text.split('## XmlLimits')[1]);
  });
});
