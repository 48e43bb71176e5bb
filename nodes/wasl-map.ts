/**
 * wasl-map: maps with a JSONata expression evaluated against the whole message (so `payload`,
 * `orderId`… are at hand), from the order model to a provider operation's input, or from an
 * operation's output back, and checks the result against the target schema before it goes on.
 * The result replaces msg.payload (or the configured property). A result that does not match
 * ends in done(err) with code 'mapping-mismatch' and the JSON pointers in msg.errors.
 * With `source: definition`, the expression is the service's own, from its definition
 * (msg.service, set by wasl-order-in): `flow.input` or `flow.results` — a flow shared by a pattern
 * of services maps each one its way; the input is then checked against the schema of the
 * service's own operation.
 */
import type { ValidateFunction } from '../contracts';
import type { ServiceDefinition } from '../contracts/types';
import { fieldErrors, hubContext } from '../hub/runtime/context';
import { contractValidator, describeChoice, schemaChoice } from './lib/contract-schemas';
import { cachedTranslator } from './lib/i18n';
import { short, type JsonataExpression, type Node, type NodeAPI, type NodeDef } from './lib/node-red';

export default function register(RED: NodeAPI): void {
  const t = cachedTranslator(RED);
  RED.nodes.registerType('wasl-map', function WaslMap(this: Node, def: NodeDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const prop = String(def.property || 'payload');
    const fromDefinition = def.source === 'definition';
    const key = def.definitionKey === 'results' ? 'results' : 'input';
    let expr: JsonataExpression | undefined;
    let validate: ValidateFunction | undefined;
    let setupError: string | undefined;
    let label = '';
    // Per service (code@version): its own expression, and for an input its operation's validator.
    const perService = new Map<string, { expr: JsonataExpression; validate?: ValidateFunction; label: string }>();
    const forService = (svc: ServiceDefinition) => {
      const id = `${svc.code}@${svc.version}`;
      let entry = perService.get(id);
      if (!entry) {
        const source = svc.flow?.[key];
        if (!source) throw Object.assign(new Error(RED._('wasl-map.errors.no-definition', { key })), { code: 'misconfigured' });
        const choice = key === 'input' ? schemaChoice({ schema: 'input', provider: svc.provider.code, operation: svc.provider.operation }) : undefined;
        entry = {
          expr: RED.util.prepareJSONataExpression(source, node),
          ...(choice ? { validate: contractValidator(choice, hubContext().providersRoot) } : validate ? { validate } : {}),
          label: choice ? describeChoice(choice) : label,
        };
        perService.set(id, entry);
      }
      return entry;
    };
    try {
      if (!fromDefinition) expr = RED.util.prepareJSONataExpression(String(def.expression ?? ''), node);
      if (def.schema !== 'none' && !(fromDefinition && key === 'input')) {
        const choice = schemaChoice(def as { schema?: string; def?: string; provider?: string; operation?: string });
        label = describeChoice(choice);
        validate = contractValidator(choice, hubContext().providersRoot);
      }
      node.status({});
    } catch (err) {
      setupError = (err as Error).message;
      node.status({ fill: 'red', shape: 'ring', text: short(setupError) });
      node.error(setupError);
    }

    node.on('input', (msg, send, done) => {
      let run: { expr: JsonataExpression; validate?: ValidateFunction; label: string } | undefined = expr ? { expr, ...(validate ? { validate } : {}), label } : undefined;
      if (fromDefinition && !setupError) {
        const svc = msg.service as ServiceDefinition | undefined;
        try {
          if (!svc?.code) throw Object.assign(new Error(RED._('wasl-map.errors.no-service')), { code: 'misconfigured' });
          run = forService(svc);
        } catch (err) {
          node.status({ fill: 'red', shape: 'dot', text: short((err as Error).message) });
          done(Object.assign(err as Error, { code: (err as { code?: string }).code ?? 'misconfigured' }));
          return;
        }
      }
      if (!run) {
        done(Object.assign(new Error(setupError ?? 'not configured'), { code: 'misconfigured' }));
        return;
      }
      const check = run.validate;
      const target = run.label;
      RED.util.evaluateJSONataExpression(run.expr, msg, (err, value) => {
        if (err) {
          node.status({ fill: 'red', shape: 'dot', text: t('wasl-map.status.failed') });
          done(Object.assign(new Error(`${RED._('wasl-map.errors.expression')}: ${err.message}`), { code: 'mapping-failed' }));
          return;
        }
        if (check && !check(value)) {
          const errors = fieldErrors(check.errors);
          msg.errors = errors;
          msg.schema = target;
          node.status({ fill: 'red', shape: 'dot', text: RED._('wasl-map.status.mismatch', { count: errors.length }) });
          const text = errors.slice(0, 5).map((e) => `${e.pointer || '/'} ${e.detail}`).join('; ');
          done(Object.assign(new Error(`${RED._('wasl-map.errors.mismatch', { schema: target })}: ${text}`), { code: 'mapping-mismatch' }));
          return;
        }
        RED.util.setMessageProperty(msg, prop, value, true);
        node.status({ fill: 'green', shape: 'dot', text: t('wasl-map.status.ok') });
        send(msg);
        done();
      });
    });
  });
}
