/**
 * /v1/services: the catalogue, bilingual, as channels may use it — the services a channel may
 * submit. An operator (Basic credentials, WASL_OPERATORS) sees every service whatever its
 * lifecycle, with the lifecycle's history (who certified, promoted or retired it, and when) and
 * whether its sandbox certificate still holds for its files (the certificate reader the hub was
 * given: hub/lifecycle.ts), and, when the release gate did not start it in this hub, why
 * (`refused`: hub/release-gate.ts).
 */
import type { FastifyInstance } from 'fastify';
import { ref } from '../../../contracts';
import { catalogueEntry, type Catalogue } from '../../catalogue';
import type { WaslEnv } from '../../config';
import { permits } from '../../intake';
import { lifecycleHistory, serviceRoots, type CertificateReader, type ServiceRoots } from '../../lifecycle';
import { requireChannel } from '../auth';
import { problemResponses } from '../schemas';

export async function serviceRoutes(app: FastifyInstance, opts: { catalogue: Catalogue; env: WaslEnv; flowsDir?: string; certificates?: CertificateReader }): Promise<void> {
  const roots: ServiceRoots | undefined = opts.flowsDir ? serviceRoots(opts.flowsDir) : undefined;
  app.get(
    '/v1/services',
    {
      schema: {
        summary: 'The catalogue',
        description:
          'Services this channel may submit, with their names in Arabic and English, fees, delivery methods, SLA and the schema of their fields. With operator credentials (HTTP Basic): every service whatever its lifecycle, with its certificate, its lifecycle history and, when the release gate did not start it in this hub, why (`refused`).',
        tags: ['services'],
        response: {
          200: {
            type: 'object',
            required: ['services'],
            properties: { services: { type: 'array', items: { $ref: ref('service', 'CatalogueEntry') } } },
          },
          ...problemResponses(401),
        },
      },
    },
    async (request) => {
      if (request.operator) {
        const services = opts.catalogue.all().map((s) => {
          const code = s.definition.code;
          const certificate = roots ? opts.certificates?.summary(code, roots) : undefined;
          const refused = opts.catalogue.refusal(code);
          return { ...catalogueEntry(s.definition), ...(certificate ? { certificate } : {}), ...(refused ? { refused } : {}), lifecycleHistory: roots ? lifecycleHistory(code, roots) : [] };
        });
        return { services };
      }
      const channel = requireChannel(request);
      const services = opts.catalogue
        .offered(opts.env)
        .filter((s) => permits(channel, s.definition.code) && s.definition.channels.includes(channel.kind))
        .map((s) => catalogueEntry(s.definition));
      return { services };
    },
  );
}
