/**
 * The gateway's framework alone: Fastify as the gateway builds it (no logger, its own JSON body
 * parser with prototype-poisoning checks), one POST route that answers 202 with the bare
 * server's small JSON — no hooks, authentication, validation, idempotency, order, store or log.
 * Run as a child of bench/intake.ts with --ceiling: what the framework costs the gateway before
 * any of wasl's work, read beside the bare node:http server and the gateway alone.
 */
import Fastify from 'fastify';

const reply = { id: 'ord_01J00000000000000000000000', status: 'received' };
const app = Fastify({ logger: false });
app.post('/v1/orders', async (_request, res) => {
  res.code(202);
  return reply;
});

void app.listen({ host: '127.0.0.1', port: 0 }).then((url) => process.send?.({ ready: url }));
process.on('message', (m) => {
  if (m === 'stop') void app.close().then(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
