/**
 * A WS-Security signature verifier, as a receiving server would run it: xml-crypto's
 * SignedXml.checkSignature, the key taken from the BinarySecurityToken that the signature's
 * SecurityTokenReference points at (and accepted only when it is the expected certificate),
 * and a check that what was signed is exactly the Body and the Timestamp.
 */
import { DOMParser } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import * as xpath from 'xpath';

const DS = 'http://www.w3.org/2000/09/xmldsig#';
const WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
const WSU = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';

export interface Verdict {
  ok: boolean;
  reason?: string;
}

function certBody(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}

export function verifySignedEnvelope(xml: string, trustedCertPem: string): Verdict {
  try {
    const doc = new DOMParser().parseFromString(xml, 'text/xml');
    const sel = (expr: string, node: Node = doc as unknown as Node) => xpath.select(expr, node) as Element[];
    const sigs = sel(`//*[local-name()='Signature' and namespace-uri()='${DS}']`);
    if (sigs.length !== 1) return { ok: false, reason: `${sigs.length} signatures` };
    const sig = sigs[0]!;
    if ((sig.parentNode as Element | null)?.localName !== 'Security') return { ok: false, reason: 'signature not in wsse:Security' };
    const refUri = sel(`.//*[local-name()='SecurityTokenReference' and namespace-uri()='${WSSE}']/*[local-name()='Reference']/@URI`, sig as unknown as Node)[0] as unknown as Attr | undefined;
    if (!refUri) return { ok: false, reason: 'no SecurityTokenReference' };
    const bstId = refUri.value.replace(/^#/, '');
    const bst = sel(`//*[local-name()='BinarySecurityToken' and namespace-uri()='${WSSE}']`).find((e) => e.getAttributeNS(WSU, 'Id') === bstId);
    if (!bst) return { ok: false, reason: 'token not found' };
    const presented = (bst.textContent ?? '').replace(/\s+/g, '');
    if (presented !== certBody(trustedCertPem)) return { ok: false, reason: 'untrusted certificate' };
    const pem = `-----BEGIN CERTIFICATE-----\n${presented.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
    const verifier = new SignedXml({ getCertFromKeyInfo: () => pem });
    verifier.loadSignature(sig as unknown as Node);
    const valid = verifier.checkSignature(xml);
    if (!valid) return { ok: false, reason: 'references do not validate' };
    // What was signed must be the Body and the Timestamp, not something else with their ids.
    const signedIds = new Set(sel(`.//*[local-name()='Reference' and namespace-uri()='${DS}']/@URI`, sig as unknown as Node).map((a) => (a as unknown as Attr).value.replace(/^#/, '')));
    const body = sel(`/*[local-name()='Envelope']/*[local-name()='Body']`)[0];
    const ts = sel(`//*[local-name()='Timestamp' and namespace-uri()='${WSU}']`)[0];
    if (!body || !signedIds.has(body.getAttributeNS(WSU, 'Id') ?? '')) return { ok: false, reason: 'Body not signed' };
    if (!ts || !signedIds.has(ts.getAttributeNS(WSU, 'Id') ?? '')) return { ok: false, reason: 'Timestamp not signed' };
    const alg = sel(`.//*[local-name()='SignatureMethod']/@Algorithm`, sig as unknown as Node)[0] as unknown as Attr | undefined;
    if (alg?.value !== 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256') return { ok: false, reason: 'not RSA-SHA256' };
    const c14n = sel(`.//*[local-name()='CanonicalizationMethod']/@Algorithm`, sig as unknown as Node)[0] as unknown as Attr | undefined;
    if (c14n?.value !== 'http://www.w3.org/2001/10/xml-exc-c14n#') return { ok: false, reason: 'not exclusive C14N' };
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
}
