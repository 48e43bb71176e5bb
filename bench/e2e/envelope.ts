/** A valid X-Road SOAP request to the canned civil-registry ministry, written out by hand (bench:e2e's direct calls and its floor). */
import type { OrderRequest } from '../../contracts/types';

const XROAD_NS = 'xmlns:xrd="http://x-road.eu/xsd/xroad.xsd" xmlns:iden="http://x-road.eu/xsd/identifiers"';

export const SOAP_HEADERS = { 'content-type': 'text/xml; charset=utf-8', soapaction: '"urn:sy:gov:moi:civil-registry:v1:IssueIndividualExtract"' };

/** `id`: the X-Road message id (the ministry answers each once); `issue`: the order it is for. */
export function envelope(id: string, input: Record<string, unknown>, issue?: string): string {
  const fields = ['nationalNumber', 'purpose', 'copies', 'language', 'applicantName'].map((k) => `<cr:${k}>${String(input[k])}</cr:${k}>`).join('');
  return (
    `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" ${XROAD_NS} xmlns:cr="urn:sy:gov:moi:civil-registry:v1"><soapenv:Header>` +
    `<xrd:client iden:objectType="SUBSYSTEM"><iden:xRoadInstance>SY</iden:xRoadInstance><iden:memberClass>GOV</iden:memberClass><iden:memberCode>DIRECT</iden:memberCode><iden:subsystemCode>bench</iden:subsystemCode></xrd:client>` +
    `<xrd:service iden:objectType="SERVICE"><iden:xRoadInstance>SY</iden:xRoadInstance><iden:memberClass>GOV</iden:memberClass><iden:memberCode>MOI</iden:memberCode><iden:subsystemCode>civil-registry</iden:subsystemCode><iden:serviceCode>IssueIndividualExtract</iden:serviceCode><iden:serviceVersion>v1</iden:serviceVersion></xrd:service>` +
    `<xrd:userId>bench</xrd:userId><xrd:id>${id}</xrd:id>${issue ? `<xrd:issue>${issue}</xrd:issue>` : ''}<xrd:protocolVersion>4.0</xrd:protocolVersion></soapenv:Header>` +
    `<soapenv:Body><cr:IssueIndividualExtract>${fields}</cr:IssueIndividualExtract></soapenv:Body></soapenv:Envelope>`
  );
}

/** What the operation takes from an order request (as the service's flow maps it). */
export function ministryInput(request: OrderRequest): Record<string, unknown> {
  const person = request.beneficiary?.person ?? request.applicant;
  const fields = request.fields as Record<string, unknown>;
  return { nationalNumber: person.nationalNumber, purpose: fields.purpose, copies: fields.copies, language: fields.language ?? 'ar', applicantName: request.applicant.fullName.ar };
}
