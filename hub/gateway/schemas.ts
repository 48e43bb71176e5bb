import { ref } from '../../contracts';

/** Response schemas for the problem statuses a route can answer. */
export function problemResponses(...statuses: number[]): Record<number, unknown> {
  return Object.fromEntries(
    statuses.map((s) => [s, { description: 'Problem (RFC 9457)', content: { 'application/problem+json': { schema: { $ref: ref('problem') } } } }]),
  );
}
