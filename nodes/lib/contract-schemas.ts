/**
 * The contract schemas wasl-validate and wasl-map check messages against, free of Node-RED so it
 * is tested on its own:
 *
 * - what the editors offer to choose from (GET /wasl/providers, served by wasl-provider): the
 *   order contract's $defs, and the providers with their operations (describeProviders);
 * - a node's choice (schemaChoice: the order, one of its $defs, an operation's input or output),
 *   and its compiled validator (contractValidator), compiled once per process and reference,
 *   never per message.
 */
import { createAjv, ref, type ValidateFunction } from '../../contracts';
import orderSchema from '../../contracts/order.schema.json';
import { listProviders } from '../../connectors/import/write';
import { DEFAULT_PROVIDERS_ROOT, loadProvider } from '../../connectors/provider-files';
import { manualOperation } from '../../connectors/rest/manual';

export interface ProviderSummary {
  code: string;
  names?: { ar: string; en: string };
  kind?: string;
  environments?: string[];
  operations: Array<{ name: string; description?: string; idempotent: boolean }>;
  /** Set when the provider folder does not load. */
  error?: string;
}

/** The providers and their operations, for the editors; a provider that does not load says why. */
export function describeProviders(root: string = DEFAULT_PROVIDERS_ROOT): ProviderSummary[] {
  return listProviders(root).map((code) => {
    try {
      const p = loadProvider(code, root);
      return {
        code,
        names: p.definition.names,
        kind: p.definition.kind,
        environments: Object.keys(p.definition.environments),
        operations: Object.entries(p.operations)
          .map(([name, op]) => ({ name, idempotent: op.idempotent, ...(op.description ? { description: op.description } : {}) }))
          .sort((a, b) => a.name.localeCompare(b.name)),
      };
    } catch (err) {
      return { code, operations: [], error: (err as Error).message };
    }
  });
}

export const ORDER_DEFS: readonly string[] = Object.keys((orderSchema as { $defs?: Record<string, unknown> }).$defs ?? {}).sort();

/** Which contract schema a node checks against. */
export type SchemaChoice =
  | { kind: 'order'; def?: string }
  | { kind: 'input' | 'output'; provider: string; operation: string };

/** From a node's properties: `schema` is 'order', 'input' or 'output'; then `def`, or `provider` and `operation`. */
export function schemaChoice(props: { schema?: string; def?: string; provider?: string; operation?: string }): SchemaChoice {
  const kind = props.schema || 'order';
  if (kind === 'order') return props.def ? { kind, def: props.def } : { kind };
  if (kind !== 'input' && kind !== 'output') throw new Error(`unknown schema kind "${kind}" (order, input or output)`);
  if (!props.provider || !props.operation) throw new Error(`an operation's ${kind} schema needs a provider and an operation`);
  return { kind, provider: props.provider, operation: props.operation };
}

export function describeChoice(c: SchemaChoice): string {
  return c.kind === 'order' ? `order${c.def ? `#/$defs/${c.def}` : ''}` : `${c.provider}.${c.operation} ${c.kind}`;
}

let ajv: ReturnType<typeof createAjv> | undefined;
const compiled = new Map<string, ValidateFunction>();

export function contractValidator(choice: SchemaChoice, providersRoot: string = DEFAULT_PROVIDERS_ROOT): ValidateFunction {
  ajv ??= createAjv();
  if (choice.kind === 'order') {
    if (choice.def && !ORDER_DEFS.includes(choice.def)) throw new Error(`the order contract has no $defs/${choice.def}`);
    const v = ajv.getSchema(ref('order', choice.def));
    if (!v) throw new Error(`the order contract is not loaded`);
    return v;
  }
  const key = `${providersRoot}\u0000${choice.provider}\u0000${choice.operation}\u0000${choice.kind}`;
  const hit = compiled.get(key);
  if (hit) return hit;
  const loaded = loadProvider(choice.provider, providersRoot);
  // Imported operations, or those a REST provider without an OpenAPI document describes by hand.
  const manual = loaded.definition.operations?.[choice.operation];
  const op = loaded.operations[choice.operation] ?? (manual ? manualOperation(choice.operation, manual) : undefined);
  if (!op) throw new Error(`provider ${choice.provider} has no operation ${choice.operation}`);
  const schema = choice.kind === 'input' ? op.inputSchema : op.outputSchema;
  // Operation schemas are self-contained; an $id would clash with an earlier compile of another root.
  const { $id: _id, ...anonymous } = schema as { $id?: unknown };
  const v = ajv.compile(anonymous);
  compiled.set(key, v);
  return v;
}
