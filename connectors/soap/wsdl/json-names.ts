/**
 * What the JSON mapping needs computed over a whole content model (connectors/soap/model.ts,
 * rules E1, E2, A1): each element's JSON name, made unique within its type, and whether it is an
 * array or may be absent once the groups around it are taken into account; attribute names.
 */
import { isRepeated, type AttributeModel, type ParticleModel } from '../model';

function prefixFor(ns: string, prefixes: Map<string, string>): string {
  const p = prefixes.get(ns);
  if (p) return p;
  let i = 1;
  const taken = new Set(prefixes.values());
  while (taken.has(`ns${i}`)) i++;
  prefixes.set(ns, `ns${i}`);
  return `ns${i}`;
}

/**
 * Copies a content model with each element's jsonName, `array` and `optional` computed in the
 * context of the whole type (groups may make an element repeated or optional).
 */
export function finalizeParticle(p: ParticleModel, prefixes: Map<string, string>, used: Map<string, string>, ctx = { optional: false, repeated: false }): ParticleModel {
  if (p.kind === 'wildcard') return { ...p };
  if (p.kind === 'element') {
    let name = p.name;
    const owner = used.get(name);
    if (owner !== undefined) {
      if (owner !== p.ns) name = `${prefixFor(p.ns, prefixes)}:${p.name}`;
      const base = name;
      for (let n = 2; used.has(name); n++) name = `${base}_${n}`;
    }
    used.set(name, p.ns);
    return {
      ...p,
      jsonName: name,
      array: ctx.repeated || isRepeated(p.maxOccurs),
      optional: ctx.optional || p.minOccurs === 0,
    };
  }
  const optional = ctx.optional || p.minOccurs === 0;
  const repeated = ctx.repeated || isRepeated(p.maxOccurs);
  // Each option of a real choice may be absent; a sequence's or all's children only when the group may be.
  const child = { optional: optional || (p.kind === 'choice' && p.items.length > 1), repeated };
  return { ...p, items: p.items.map((i) => finalizeParticle(i, prefixes, used, child)) };
}

export function nameAttributes(list: AttributeModel[], prefixes: Map<string, string>): AttributeModel[] {
  const used = new Map<string, string>();
  return list.map((a) => {
    let jsonName = `@${a.name}`;
    const owner = used.get(jsonName);
    if (owner !== undefined && owner !== a.ns) jsonName = `@${prefixFor(a.ns, prefixes)}:${a.name}`;
    used.set(jsonName, a.ns);
    return { ...a, jsonName };
  });
}
