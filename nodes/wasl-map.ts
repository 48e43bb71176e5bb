/**
 * wasl-map: maps with a JSONata expression evaluated against the whole message (so `payload`,
 * `orderId`… are at hand), from the order model to a provider operation's input, or from an
 * operation's output back, and checks the result against the target schema before it goes on.
 * The result replaces msg.payload (or the configured property). A result that does not match
 * ends in done(err) with code 'mapping-mismatch' and the JSON pointers in msg.errors.
 */
import type { ValidateFunction } from '../contracts';
import { fieldErrors } from '../hub/field-errors';
import { hubContext } from '../hub/runtime/context';
import { contractValidator, describeChoice, schemaChoice } from './lib/connector-pool';
import { cachedTranslator } from './lib/i18n';
import { short, type JsonataExpression, type Node, type NodeAPI, type NodeDef } from './wasl-provider.api';

export default function register(RED: NodeAPI): void {
  const t = cachedTranslator(RED);
  RED.nodes.registerType('wasl-map', function WaslMap(this: Node, def: NodeDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const prop = String(def.property || 'payload');
    let expr: JsonataExpression | undefined;
    let validate: ValidateFunction | undefined;
    let setupError: string | undefined;
    let label = '';
    try {
      expr = RED.util.prepareJSONataExpression(String(def.expression ?? ''), node);
      if (def.schema !== 'none') {
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
      if (!expr) {
        done(Object.assign(new Error(setupError ?? 'not configured'), { code: 'misconfigured' }));
        return;
      }
      RED.util.evaluateJSONataExpression(expr, msg, (err, value) => {
        if (err) {
          node.status({ fill: 'red', shape: 'dot', text: t('wasl-map.status.failed') });
          done(Object.assign(new Error(`${RED._('wasl-map.errors.expression')}: ${err.message}`), { code: 'mapping-failed' }));
          return;
        }
        if (validate && !validate(value)) {
          const errors = fieldErrors(validate.errors);
          msg.errors = errors;
          msg.schema = label;
          node.status({ fill: 'red', shape: 'dot', text: RED._('wasl-map.status.mismatch', { count: errors.length }) });
          const text = errors.slice(0, 5).map((e) => `${e.pointer || '/'} ${e.detail}`).join('; ');
          done(Object.assign(new Error(`${RED._('wasl-map.errors.mismatch', { schema: label })}: ${text}`), { code: 'mapping-mismatch' }));
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
