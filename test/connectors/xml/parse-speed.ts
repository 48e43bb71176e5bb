/**
 * Not a test: time per parseXml of the corpus SOAP responses (string and Buffer input), in CPU
 * time (steadier than wall time on a shared machine), beside fast-xml-parser on the same text
 * and JSON.parse of a JSON document of the same size, measured in the same run for scale.
 *
 *   npx tsx test/connectors/xml/parse-speed.ts
 */
import { CORPUS } from '../../corpus';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { parseXml } from '../../../connectors/xml/parse';

const DIR = join(CORPUS, 'xroad-example-adapter', 'examples');

function cpuUs(n: number, fn: () => unknown): number {
  for (let k = 0; k < n / 5; k++) fn();
  const t = process.cpuUsage();
  for (let k = 0; k < n; k++) fn();
  const u = process.cpuUsage(t);
  return (u.user + u.system) / n;
}

const fxp = new XMLParser({ ignoreAttributes: false, processEntities: false });
for (const f of ['helloServiceResponse.xml', 'getRandomResponse.xml', 'personDetailsResponse.xml', 'listPeopleResponse.xml']) {
  const s = readFileSync(join(DIR, f), 'utf8');
  const b = Buffer.from(s);
  const items: Array<{ name: string; value: string }> = [];
  while (JSON.stringify({ doc: items }).length < b.length) items.push({ name: `element-${items.length}`, value: 'text value' });
  const jsonDoc = JSON.stringify({ doc: items });
  const str = cpuUs(100_000, () => parseXml(s));
  const buf = cpuUs(100_000, () => parseXml(b));
  const other = cpuUs(20_000, () => fxp.parse(s));
  const base = cpuUs(100_000, () => JSON.parse(jsonDoc));
  console.log(
    `${f.padEnd(27)} ${String(b.length).padStart(5)} B  parseXml: string ${str.toFixed(2)} µs, Buffer ${buf.toFixed(2)} µs | fast-xml-parser ${other.toFixed(1)} µs | JSON.parse of ${jsonDoc.length} B JSON ${base.toFixed(2)} µs`,
  );
}
