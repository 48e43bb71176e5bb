/** /v1/services: the catalogue, bilingual, as channels may use it. */
import type { FastifyInstance } from 'fastify';
import { ref } from '../../../contracts';
import { catalogueEntry, type Catalogue } from '../../catalogue';
import type { WaslEnv } from '../../config';
import { permits } from '../../intake';
import { requireChannel } from '../auth';
import { problemResponses } from '../schemas';

export async function serviceRoutes(app: FastifyInstance, opts: { catalogue: Catalogue; env: WaslEnv }): Promise<void> {
  app.get(
    '/v1/services',
    {
      schema: {
        summary: 'The catalogue',
        description: 'Services this channel may submit, with their names in Arabic and English, fees, delivery methods, SLA and the schema of their fields.',
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
      const channel = requireChannel(request);
      const services = opts.catalogue
        .offered(opts.env)
        .filter((s) => permits(channel, s.definition.code) && s.definition.channels.includes(channel.kind))
        .map((s) => catalogueEntry(s.definition));
      return { services };
    },
  );
}
