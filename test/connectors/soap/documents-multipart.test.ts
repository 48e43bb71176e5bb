/**
 * The streaming multipart reader on its own: the same parts whatever the chunking (delimiters cut
 * anywhere, one byte at a time), headers folded or not, and its refusals.
 */
import assert from 'node:assert/strict';
import { UnsafeResponse } from '../../../connectors/errors';
import { contentId, parseMediaType, readMultipart } from '../../../connectors/soap/multipart';
import { axisSwa, cxfMtom, multipart, pdfLike } from './documents-helpers';

async function collect(chunks: Buffer[], boundary: string): Promise<Array<{ headers: Record<string, string>; body: Buffer }>> {
  const out: Array<{ headers: Record<string, string>; body: Buffer[] }> = [];
  for await (const ev of readMultipart(chunks, boundary)) {
    if (ev.kind === 'part') out.push({ headers: ev.headers, body: [] });
    else if (ev.kind === 'data') out.at(-1)!.body.push(Buffer.from(ev.chunk));
  }
  return out.map((p) => ({ headers: p.headers, body: Buffer.concat(p.body) }));
}

function chop(b: Buffer, size: (i: number) => number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < b.length; ) {
    const n = Math.max(1, size(out.length));
    out.push(b.subarray(i, i + n));
    i += n;
  }
  return out;
}

describe('soap/multipart: the streaming multipart/related reader', () => {
  const pdf = pdfLike(70_000);

  it('reads the same parts whatever the chunking, a delimiter cut anywhere', async () => {
    for (const a of [cxfMtom(pdf), axisSwa(pdf)]) {
      const boundary = parseMediaType(a.contentType)!.params.boundary!;
      for (const sizes of [() => a.body.length, () => 1, (i: number) => (i * 7919) % 97, () => 65_536, (i: number) => (i % 2 ? 3 : 70)]) {
        const parts = await collect(chop(a.body, sizes), boundary);
        assert.equal(parts.length, 2);
        assert.match(parts[0]!.body.toString(), /^<(\?xml|soap:Envelope)/);
        assert.ok(parts[1]!.body.equals(pdf));
        assert.equal(parts[1]!.headers['content-type'], 'application/pdf');
      }
    }
  });

  it('parses media types and content ids as the stacks write them', () => {
    assert.deepEqual(parseMediaType('multipart/related;start="<rootpart*x@y>";type="application/xop+xml";boundary="uuid:1";start-info="text/xml"'), {
      type: 'multipart/related',
      params: { start: '<rootpart*x@y>', type: 'application/xop+xml', boundary: 'uuid:1', 'start-info': 'text/xml' },
    });
    assert.equal(parseMediaType('multipart/related; type="text/xml"; \tboundary=----=_Part_0_1.2')!.params.boundary, '----=_Part_0_1.2');
    assert.equal(contentId('<a%40b@c>'), 'a%40b@c');
    assert.equal(contentId('cid:a%40b@c', true), 'a@b@c');
  });

  it('joins folded header lines and allows a part without headers', async () => {
    const body = Buffer.concat([Buffer.from('--b\r\nContent-Type: text/xml;\r\n\tcharset=utf-8\r\n\r\n<x/>\r\n--b\r\n\r\nraw\r\n--b--')]);
    const parts = await collect([body], 'b');
    assert.equal(parts[0]!.headers['content-type'], 'text/xml; charset=utf-8');
    assert.deepEqual(parts[1]!.headers, {});
    assert.equal(parts[1]!.body.toString(), 'raw');
  });

  it('refuses a wrong boundary, a missing close delimiter, endless headers, too many parts', async () => {
    const bad = (p: Promise<unknown>) => assert.rejects(p, (e: unknown) => e instanceof UnsafeResponse && e.limit === 'malformed');
    const ok = multipart('b', [{ headers: [['Content-Type', 'text/xml']], body: '<x/>' }]);
    await bad(collect([ok], 'c'));
    await bad(collect([ok.subarray(0, ok.length - 6)], 'b'));
    await bad(collect([Buffer.from('--b\r\n'), Buffer.alloc(40_000, 0x61)], 'b'));
    await bad(collect([Buffer.from(`${'--b\r\n\r\nx\r\n'.repeat(101)}--b--`)], 'b'));
    await bad(collect([ok], 'bad\r\nboundary'));
  });
});
