/**
 * A service's sandbox scenarios: flows/<code>/scenarios/*.json, each checked against
 * contracts/scenario.schema.json when read, so a mistake names its file and the pointer at fault
 * before anything runs.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAjv, pointErrors, ref } from '../../contracts';
import type { Scenario } from '../../contracts/types';

export interface LoadedScenario {
  file: string;
  scenario: Scenario;
}

export class ScenarioError extends Error {
  override name = 'ScenarioError';
}

let validate: ReturnType<ReturnType<typeof createAjv>['getSchema']> | undefined;

export function loadScenarios(code: string, flowsDir: string): LoadedScenario[] {
  const dir = join(flowsDir, code, 'scenarios');
  if (!existsSync(dir)) return [];
  validate ??= createAjv().getSchema(ref('scenario'));
  if (!validate) throw new Error('scenario schema missing');
  const out: LoadedScenario[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    const file = join(dir, f);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ScenarioError(`${file}: not valid JSON: ${(err as Error).message}`);
    }
    if (!validate(raw)) throw new ScenarioError(`${file}: ${pointErrors(validate.errors).map((e) => `${e.pointer || '/'} ${e.message}`).join('; ')}`);
    out.push({ file, scenario: raw as Scenario });
  }
  return out;
}
