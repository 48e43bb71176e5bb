/**
 * The catalogue of services, read from flows/<code>/service.json. Each definition is checked
 * against contracts/service.schema.json and its fields schema compiled once, at load; a broken
 * definition stops the hub with the file and the pointer at fault. A running hub reads one
 * service again when its definition changes (a promotion, a retirement: `reload`), and keeps the
 * release gate's refusals (hub/release-gate.ts): the services it did not start, whose orders
 * intake refuses.
 */
import jsonata from 'jsonata';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { assertLinearPatterns, createAjv, pointErrors, ref, type ValidateFunction } from '../contracts';
import type { ChannelKind, DeliveryMethod, Fees, ServiceDefinition, CatalogueEntry, ResultSchema, ServiceRefusal } from '../contracts/types';
import type { WaslEnv } from './config';
import type { Fulfilment } from './fulfilment';
import { MAX_RESULT_SCHEMA_BYTES } from './order-outcome';

export interface CatalogueService {
  definition: ServiceDefinition;
  validateFields: ValidateFunction;
  /** The service's result schema (service.json `result`), compiled: absent when it declares none (hub/order-outcome.ts). */
  validateResult?: ValidateFunction;
}

export class CatalogueError extends Error {
  override name = 'CatalogueError';
}

export const FEE_LABELS = {
  service: { ar: 'رسم الخدمة', en: 'Service fee' },
  delivery: { ar: 'رسم التسليم', en: 'Delivery fee' },
} as const;

export class Catalogue {
  private readonly services = new Map<string, CatalogueService>();
  private readonly refusals = new Map<string, ServiceRefusal>();
  private readonly ajv = createAjv();
  /** Payment and delivery configuration, set by the hub at start (hub/fulfilment.ts). */
  fulfilment?: Fulfilment;

  constructor(definitions: ServiceDefinition[]) {
    for (const def of definitions) {
      const entry = this.checked(def);
      if (this.services.has(def.code)) throw new CatalogueError(`service ${def.code} is defined twice`);
      this.services.set(def.code, entry);
    }
  }

  /** A definition checked against the contract, its fields schema compiled, its mappings parsed. */
  private checked(def: ServiceDefinition): CatalogueService {
    const ajv = this.ajv;
    const validateDefinition = ajv.getSchema(ref('service'));
    if (!validateDefinition) throw new Error('service schema missing');
    if (!validateDefinition(def)) {
      const why = pointErrors(validateDefinition.errors).map((e) => `${e.pointer} ${e.message}`).join('; ');
      throw new CatalogueError(`service ${def?.code ?? '?'}: invalid definition: ${why}`);
    }
    let validateFields: ValidateFunction;
    try {
      // Ajv would refuse a pattern that cannot be matched in linear time too, but not say which field has it.
      assertLinearPatterns(def.fields, 'its fields schema');
      validateFields = ajv.compile(def.fields);
    } catch (err) {
      throw new CatalogueError(`service ${def.code}: fields schema does not compile: ${(err as Error).message}`);
    }
    def.fields.examples.forEach((example, i) => {
      if (!validateFields(example)) {
        const why = pointErrors(validateFields.errors).map((e) => `${e.pointer} ${e.message}`).join('; ');
        throw new CatalogueError(`service ${def.code}: fields example ${i} is invalid: ${why}`);
      }
    });
    for (const method of def.delivery) {
      if (def.fees.delivery[method] === undefined) throw new CatalogueError(`service ${def.code}: no fee for delivery method ${method}`);
    }
    // A shared flow's mappings are this service's own code: one that does not parse stops the start, not an order.
    for (const key of ['input', 'results'] as const) {
      const source = def.flow?.[key];
      if (source === undefined) continue;
      try {
        jsonata(source);
      } catch (err) {
        throw new CatalogueError(`service ${def.code}: /flow/${key} is not a valid JSONata expression: ${(err as Error).message}`);
      }
    }
    const validateResult = def.result ? this.resultValidator(def.code, def.result.schema) : undefined;
    return { definition: def, validateFields, ...(validateResult ? { validateResult } : {}) };
  }

  /** The result schema compiled, bounded in size, its patterns linear, its examples valid. */
  private resultValidator(code: string, schema: ResultSchema): ValidateFunction {
    if (Buffer.byteLength(JSON.stringify(schema), 'utf8') > MAX_RESULT_SCHEMA_BYTES) throw new CatalogueError(`service ${code}: result schema is larger than ${MAX_RESULT_SCHEMA_BYTES} bytes`);
    let validate: ValidateFunction;
    try {
      assertLinearPatterns(schema, 'its result schema');
      validate = this.ajv.compile(schema);
    } catch (err) {
      throw new CatalogueError(`service ${code}: result schema does not compile: ${(err as Error).message}`);
    }
    (schema.examples ?? []).forEach((example, i) => {
      if (!validate(example)) {
        const why = pointErrors(validate.errors).map((e) => `${e.pointer} ${e.message}`).join('; ');
        throw new CatalogueError(`service ${code}: result example ${i} is invalid: ${why}`);
      }
    });
    return validate;
  }

  /** Reads every flows/<code>/service.json under `dir`. */
  static load(dir: string): Catalogue {
    const defs: ServiceDefinition[] = [];
    const entries = existsSync(dir) ? readdirSync(dir, { withFileTypes: true }) : [];
    for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
      const def = readDefinition(dir, entry.name);
      if (def) defs.push(def);
    }
    return new Catalogue(defs);
  }

  /**
   * Reads flows/<code>/service.json under `dir` again (a running hub, when it changed: a promotion,
   * a retirement, a new service): the entry as it is now, or undefined when the file is gone. A
   * definition that does not check is refused with the reason (CatalogueError) and the entry kept.
   */
  reload(dir: string, code: string): CatalogueService | undefined {
    const def = readDefinition(dir, code);
    if (!def) {
      this.services.delete(code);
      this.refusals.delete(code);
      return undefined;
    }
    const entry = this.checked(def);
    this.services.set(code, entry);
    return entry;
  }

  /** The release gate did not start the service here: intake refuses its orders (503 service-not-certified). */
  refuse(code: string, refusal: ServiceRefusal): void {
    this.refusals.set(code, refusal);
  }

  /** The release gate started the service (or it is no longer one the gate decides on). */
  admit(code: string): void {
    this.refusals.delete(code);
  }

  /** Why the release gate did not start the service, if it did not. */
  refusal(code: string): ServiceRefusal | undefined {
    return this.refusals.get(code);
  }

  /** The services the release gate did not start, by code. */
  refused(): Array<ServiceRefusal & { service: string }> {
    return [...this.refusals].map(([service, r]) => ({ service, ...r })).sort((a, b) => a.service.localeCompare(b.service));
  }

  get(code: string): CatalogueService | undefined {
    return this.services.get(code);
  }

  all(): CatalogueService[] {
    return [...this.services.values()];
  }

  /** Services that accept orders in `env`: everything not retired in the sandbox, only live ones in production. */
  offered(env: WaslEnv): CatalogueService[] {
    return this.all().filter((s) => acceptsOrders(s.definition, env));
  }
}

/** flows/<code>/service.json under `dir`, checked against its folder and its pattern; undefined when there is none. */
function readDefinition(dir: string, code: string): ServiceDefinition | undefined {
  const file = join(dir, code, 'service.json');
  if (!existsSync(file)) return undefined;
  let def: ServiceDefinition;
  try {
    def = JSON.parse(readFileSync(file, 'utf8')) as ServiceDefinition;
  } catch (err) {
    throw new CatalogueError(`${file}: not valid JSON: ${(err as Error).message}`);
  }
  if (def.code !== code) throw new CatalogueError(`${file}: code "${def.code}" does not match its folder`);
  const pattern = (def as { flow?: { pattern?: unknown } }).flow?.pattern;
  if (typeof pattern === 'string' && !existsSync(join(dir, pattern, 'flow.json'))) throw new CatalogueError(`${file}: its flow pattern ${pattern} has no ${join(dir, pattern, 'flow.json')}`);
  return def;
}

export function acceptsOrders(def: ServiceDefinition, env: WaslEnv): boolean {
  return env === 'production' ? def.lifecycle === 'live' : def.lifecycle !== 'retired';
}

/** `deliveryOverride`: a delivery fee set by configuration (international mail by country). */
export function computeFees(def: ServiceDefinition, channel: ChannelKind, delivery: DeliveryMethod, deliveryOverride?: number): Fees {
  const service = def.fees.service.byChannel?.[channel] ?? def.fees.service.default;
  const deliveryFee = deliveryOverride ?? def.fees.delivery[delivery] ?? 0;
  return {
    currency: def.fees.currency,
    items: [
      { code: 'service', label: FEE_LABELS.service, amount: service },
      { code: 'delivery', label: FEE_LABELS.delivery, amount: deliveryFee },
    ],
    total: service + deliveryFee,
  };
}

export function catalogueEntry(def: ServiceDefinition): CatalogueEntry {
  const entry: CatalogueEntry = {
    code: def.code,
    version: def.version,
    names: def.names,
    provider: def.provider.code,
    channels: def.channels,
    governorates: def.governorates,
    delivery: def.delivery,
    fees: def.fees,
    sla: def.sla,
    lifecycle: def.lifecycle,
    fields: def.fields,
  };
  if (def.description) entry.description = def.description;
  if (def.result) entry.result = def.result;
  return entry;
}
