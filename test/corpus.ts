/**
 * The real-world WSDL corpus the SOAP tests run against: a copy of ../shared/wsdl-corpus kept in
 * the repository (MIT-licensed contracts, see its README), so a clone anywhere has it;
 * test/corpus.test.ts checks the copy is byte for byte the shared one when that is present.
 */
import { join, resolve } from 'node:path';

export const CORPUS = join(__dirname, 'fixtures', 'wsdl-corpus');
/** The project's shared copy, beside the checkout. */
export const SHARED_CORPUS = resolve(__dirname, '..', '..', 'shared', 'wsdl-corpus');
