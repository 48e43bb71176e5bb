/**
 * /openapi.json (OpenAPI 3.1, from the route schemas, so it cannot drift from what is validated)
 * and /docs, a readable page of it. The request body of POST /v1/orders carries one valid
 * example per service in the catalogue.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { CONTRACT_BASE } from '../../contracts';
import type { OrderRequest } from '../../contracts/types';
import type { CatalogueService } from '../catalogue';

const DEMO_APPLICANT: OrderRequest['applicant'] = {
  nationalNumber: '01020304050',
  fullName: { ar: 'ريم خالد الأحمد', latin: 'Reem Khaled Al-Ahmad' },
  fatherName: 'خالد',
  motherName: 'سلمى',
  birthDate: '1990-04-12',
  phone: '+963944123456',
  email: 'reem@example.org',
};

/** A valid request for `service`, for documentation and for tests that post every example. */
export function exampleRequest(service: CatalogueService): OrderRequest {
  const def = service.definition;
  const method = def.delivery[0] ?? 'counter';
  const governorate = def.governorates.find((g) => g !== '*') ?? 'damascus';
  const centre = { code: 'DAM-01', governorate: governorate as 'damascus' };
  const delivery: OrderRequest['delivery'] =
    method === 'domestic-post'
      ? { method, governorate: centre.governorate, city: 'دمشق', address: 'المزة، شارع الجلاء، بناء ١٢' }
      : method === 'international-post'
        ? { method, country: 'DE', city: 'Berlin', address: 'Karl-Marx-Straße 10' }
        : { method };
  return { service: def.code, centre, applicant: DEMO_APPLICANT, fields: def.fields.examples[0] ?? {}, delivery, language: 'ar' };
}

/** Component names for the contracts' $defs in the generated document. */
function localName(id: string): string {
  return id.replace(CONTRACT_BASE, '').replace('.schema.json', '').replace(/^./, (c) => c.toUpperCase());
}

export async function registerOpenApi(app: FastifyInstance, opts: { services: CatalogueService[]; docsUi: boolean; version: string }): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'wasl gateway',
        version: opts.version,
        description: 'The front door of the citizen-service hub: channels submit and follow orders. Errors are application/problem+json with Arabic and English text.',
      },
      components: { securitySchemes: { channelKey: { type: 'http', scheme: 'bearer', description: 'A channel key from WASL_CHANNEL_KEYS.' } } },
      security: [{ channelKey: [] }],
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? localName(json.$id) : `def-${i}`) },
    transformObject: (documentObject) => {
      const doc = (documentObject as { openapiObject: Record<string, unknown> }).openapiObject as {
        paths?: Record<string, Record<string, { requestBody?: { content?: Record<string, { examples?: unknown; schema?: { examples?: unknown } }> }; security?: unknown }>>;
      };
      const media = doc.paths?.['/v1/orders']?.post?.requestBody?.content?.['application/json'];
      if (media) {
        if (media.schema) delete media.schema.examples;
        media.examples = Object.fromEntries(
          opts.services.map((s) => [s.definition.code, { summary: `${s.definition.names.en} — ${s.definition.names.ar}`, value: exampleRequest(s) }]),
        );
      }
      for (const path of ['/health', '/ready']) {
        const get = doc.paths?.[path]?.get;
        if (get) get.security = [];
      }
      return doc;
    },
  });
  if (opts.docsUi) await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });
}

/** GET /openapi.json in `scope`: the root in the sandbox, the authenticated scope in production. */
export function openApiRoute(scope: FastifyInstance, root: FastifyInstance): void {
  scope.get('/openapi.json', { schema: { hide: true }, config: { rateLimit: false } }, async () => root.swagger());
}
