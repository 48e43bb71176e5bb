/**
 * Faults played on the wire itself, where no valid answer is sent: the ones a contract cannot
 * describe and a connector must still survive.
 *   timeout   no answer at all: the request is held until the client gives up (or the simulator closes)
 *   outage    the connection is cut at once (ECONNRESET), as from a host that is down
 *   malformed a 200 whose body is cut off halfway
 *   hostile   a 200 whose body is a billion-laughs entity bomb (XML), or a prototype-pollution attempt
 *             around a 100,000-deep nesting (JSON)
 *   drip      a valid answer sent a few bytes at a time, slowly
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Fault } from './scripts';

export type WireFault = Extract<Fault['kind'], 'timeout' | 'outage' | 'malformed' | 'hostile' | 'drip'>;
export const WIRE_FAULTS: ReadonlySet<string> = new Set<WireFault>(['timeout', 'outage', 'malformed', 'hostile', 'drip']);

const BOMB =
  '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
  '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>' +
  '<lolz>&lol4;</lolz>';

/** Holds requests a `timeout` fault never answers, so close() can end them. */
export class HeldRequests {
  private readonly held = new Set<ServerResponse>();
  hold(res: ServerResponse): void {
    this.held.add(res);
    res.on('close', () => this.held.delete(res));
  }
  release(): void {
    for (const res of this.held) res.destroy();
    this.held.clear();
  }
}

/**
 * Plays the fault on `res`. `valid` is the answer that would have been sent (for `drip`), and
 * `xml` whether the provider speaks XML. Returns the HTTP status sent (0 for none).
 */
export function playWireFault(kind: WireFault, req: IncomingMessage, res: ServerResponse, held: HeldRequests, valid: { contentType: string; body: string }, xml: boolean): number {
  switch (kind) {
    case 'timeout':
      held.hold(res);
      return 0;
    case 'outage':
      req.socket.destroy();
      return 0;
    case 'malformed': {
      const body = valid.body.slice(0, Math.max(1, Math.floor(valid.body.length / 2)));
      res.writeHead(200, { 'content-type': valid.contentType }).end(body);
      return 200;
    }
    case 'hostile': {
      const body = xml ? BOMB : `{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"deep":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
      res.writeHead(200, { 'content-type': xml ? 'text/xml; charset=utf-8' : 'application/json' }).end(body);
      return 200;
    }
    case 'drip': {
      const bytes = Buffer.from(valid.body, 'utf8');
      res.writeHead(200, { 'content-type': valid.contentType, 'content-length': bytes.length });
      let at = 0;
      const step = () => {
        if (res.destroyed) return;
        if (at >= bytes.length) {
          res.end();
          return;
        }
        res.write(bytes.subarray(at, at + 16));
        at += 16;
        setTimeout(step, 250).unref();
      };
      step();
      return 200;
    }
    default:
      throw new Error(`not a wire fault: ${String(kind)}`);
  }
}
