/**
 * wasl-validate: checks msg.payload (or a configured property) against a contract schema — the
 * order, one of its $defs, or a provider operation's input or output — compiled once when the
 * node starts. Valid: output 1. Invalid: output 2, with msg.errors as JSON pointers and texts in
 * English and Arabic (hub/field-errors.ts), never the values.
 */
import type { ValidateFunction } from '../contracts';
import { fieldErrors, hubContext } from '../hub/runtime/context';
import { contractValidator, describeChoice, schemaChoice } from './lib/contract-schemas';
import { cachedTranslator } from './lib/i18n';
import { short, type Node, type NodeAPI, type NodeDef } from './lib/node-red';

export default function register(RED: NodeAPI): void {
  const t = cachedTranslator(RED);
  RED.nodes.registerType('wasl-validate', function WaslValidate(this: Node, def: NodeDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const prop = String(def.property || 'payload');
    let validate: ValidateFunction | undefined;
    let setupError: string | undefined;
    let label = '';
    try {
      const choice = schemaChoice(def as { schema?: string; def?: string; provider?: string; operation?: string });
      label = describeChoice(choice);
      validate = contractValidator(choice, hubContext().providersRoot);
      node.status({});
    } catch (err) {
      setupError = (err as Error).message;
      node.status({ fill: 'red', shape: 'ring', text: short(setupError) });
      node.error(setupError);
    }

    node.on('input', (msg, send, done) => {
      if (!validate) {
        done(Object.assign(new Error(setupError ?? 'not configured'), { code: 'misconfigured' }));
        return;
      }
      if (validate(RED.util.getMessageProperty(msg, prop))) {
        node.status({ fill: 'green', shape: 'dot', text: t('wasl-validate.status.valid') });
        send([msg, null]);
      } else {
        msg.errors = fieldErrors(validate.errors);
        msg.schema = label;
        node.status({ fill: 'yellow', shape: 'dot', text: t('wasl-validate.status.invalid', { count: (msg.errors as unknown[]).length }) });
        send([null, msg]);
      }
      done();
    });
  });
}
