/**
 * The seed catalogue: the 48 transactions the centres carry, for seven ministries. This table
 * is the source of the services' definitions (flows/<code>/service.json, the lifecycle aside,
 * which certification and promotion own) and of their standard scenarios
 * (flows/<code>/scenarios/std-*.json); `npm run catalogue` writes them from it, and a test
 * checks the files are what it writes. Services of one provider share its pattern flow
 * (flows/pattern-<provider>/flow.json): a new similar service is a row here.
 */
import type { ChannelKind, DeliveryMethod } from '../../contracts/types';

type Schema = Record<string, unknown>;

export interface SeedService {
  code: string;
  names: { ar: string; en: string };
  description: { ar: string; en: string };
  provider: string;
  operation: string;
  /** Members of the fields schema (all listed are required unless in `optional`). */
  fields: Record<string, Schema>;
  optional?: string[];
  example: Record<string, unknown>;
  /** JSONata: the message (payload: the order, service: this definition) → the operation's input. */
  input: string;
  /** The answer's member that holds the document's number. */
  reference: string;
  /**
   * Where the answer holds the document itself, when the provider sends one (JSONata path): with
   * the hub's document store, the connector hands it on there as a handle ({id, sha256…}), and the
   * order's results.documents entry names the stored document (its id and sha256).
   */
  document?: string;
  channels: ChannelKind[];
  delivery: DeliveryMethod[];
  governorates?: string[];
  fee: number;
  expatFee?: number;
  slaHours: number;
  /** A business refusal the provider can answer, and wasl's reason for it. */
  refusal: { code: string; reason: string };
  /** Members of the request the provider must receive in the happy path. */
  received?: Record<string, unknown>;
  /** Services with a flow of their own (flows/<code>/flow.json): only their scenarios come from here. */
  ownFlow?: boolean;
}

// ---------------------------------------------------------------- shared pieces

const NN = { type: 'string', pattern: '^[0-9]{11}$', description: 'National number (11 digits)' };
const PURPOSE = { type: 'string', enum: ['official', 'employment', 'travel', 'education', 'other'] };
const COPIES = { type: 'integer', minimum: 1, maximum: 5 };
const LANGUAGE = { type: 'string', enum: ['ar', 'en'], description: 'Language of the document.' };
const YEAR = { type: 'integer', minimum: 1950, maximum: 2030 };
const COUNTRY = { type: 'string', pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2' };
const PLATE = { type: 'string', pattern: '^[0-9]{1,7}$' };
const GOVERNORATE = { $ref: 'https://contracts.wasl.sy/order.schema.json#/$defs/Governorate' };
const DEMO_NN = '01020304050';
const NAME_AR = 'payload.applicant.fullName.ar';

const ALL: DeliveryMethod[] = ['counter', 'electronic', 'domestic-post', 'international-post'];
const LOCAL: DeliveryMethod[] = ['counter', 'electronic', 'domestic-post'];
const COUNTER_POST: DeliveryMethod[] = ['counter', 'domestic-post'];
const HOME: ChannelKind[] = ['centre', 'portal'];
const EVERYONE: ChannelKind[] = ['centre', 'portal', 'expat-portal'];

const moi = (code: string, names: SeedService['names'], description: SeedService['description'], operation: string, extra: Partial<SeedService> & Pick<SeedService, 'input' | 'reference'>): SeedService => ({
  code,
  names,
  description,
  provider: 'moi-civil-registry',
  operation,
  fields: { copies: COPIES, language: LANGUAGE },
  optional: ['language'],
  example: { copies: 1, language: 'ar' },
  channels: EVERYONE,
  delivery: ALL,
  fee: 5000,
  expatFee: 25000,
  slaHours: 24,
  refusal: { code: 'RECORD_SEALED', reason: 'record-sealed' },
  received: { nationalNumber: DEMO_NN },
  // Every civil-registry answer carries its document inline (base64Binary).
  document: 'document.content',
  ...extra,
});

const civilDocument = (code: string, type: string, names: SeedService['names'], description: SeedService['description'], extra: Partial<SeedService> = {}): SeedService =>
  moi(code, names, description, 'IssueCivilDocument', {
    input: `{ "nationalNumber": ${extra.fields?.deceasedNationalNumber ? 'payload.fields.deceasedNationalNumber' : 'payload.applicant.nationalNumber'}, "documentType": "${type}", "eventYear": payload.fields.eventYear, "copies": payload.fields.copies, "language": payload.language ? payload.language : "ar", "applicantName": ${NAME_AR} }`,
    reference: 'documentReference',
    ...extra,
  });

const exam = (code: string, type: string, names: SeedService['names'], description: SeedService['description']): SeedService => ({
  code,
  names,
  description,
  provider: 'moe-exams',
  operation: 'GetExamCertificate',
  fields: { examYear: YEAR, seatNumber: { type: 'string', pattern: '^[0-9]{4,8}$' } },
  example: { examYear: 2015, seatNumber: '104233' },
  input: `{ "examType": "${type}", "examYear": payload.fields.examYear, "seatNumber": payload.fields.seatNumber, "nationalNumber": payload.applicant.nationalNumber, "duplicate": false }`,
  reference: 'certificateNumber',
  channels: EVERYONE,
  delivery: ALL,
  fee: 3000,
  expatFee: 20000,
  slaHours: 48,
  refusal: { code: 'RESULT_WITHHELD', reason: 'result-withheld' },
  received: { examType: type, seatNumber: '104233', nationalNumber: DEMO_NN },
});

const vehicle = (code: string, operation: string, names: SeedService['names'], description: SeedService['description'], extra: Partial<SeedService> = {}): SeedService => ({
  code,
  names,
  description,
  provider: 'mot-vehicle-registry',
  operation,
  fields: { plateNumber: PLATE, plateGovernorate: GOVERNORATE },
  example: { plateNumber: '123456', plateGovernorate: 'damascus' },
  input: `{ "path": { "plate": payload.fields.plateNumber }, "query": { "governorate": payload.fields.plateGovernorate } }`,
  reference: 'statementNumber',
  channels: HOME,
  delivery: LOCAL,
  fee: 7500,
  slaHours: 72,
  refusal: { code: 'VEHICLE_NOT_FOUND', reason: 'vehicle-not-found' },
  received: { path: { plate: '123456' } },
  ...extra,
});

const licence = (code: string, names: SeedService['names'], description: SeedService['description'], extra: Partial<SeedService> = {}): SeedService => ({
  code,
  names,
  description,
  provider: 'mot-vehicle-registry',
  operation: 'GetLicenceStatement',
  fields: { licenceNumber: { type: 'string', pattern: '^[0-9]{6,10}$' } },
  example: { licenceNumber: '4471902' },
  input: `{ "path": { "licenceNumber": payload.fields.licenceNumber }, "query": { "nationalNumber": payload.applicant.nationalNumber } }`,
  reference: 'statementNumber',
  channels: HOME,
  delivery: LOCAL,
  fee: 6000,
  slaHours: 48,
  refusal: { code: 'LICENCE_NOT_FOUND', reason: 'licence-not-found' },
  received: { path: { licenceNumber: '4471902' }, query: { nationalNumber: DEMO_NN } },
  ...extra,
});

const facility = (code: string, statement: string, names: SeedService['names'], description: SeedService['description']): SeedService => ({
  code,
  names,
  description,
  provider: 'motour-licensing',
  operation: 'GetFacilityLicence',
  fields: { licenceNumber: { type: 'string', pattern: '^T-[0-9]{5}$' } },
  example: { licenceNumber: 'T-20417' },
  input: `{ "path": { "licenceNumber": payload.fields.licenceNumber }, "query": { "statement": "${statement}" } }`,
  reference: 'statementNumber',
  channels: HOME,
  delivery: COUNTER_POST,
  governorates: ['damascus', 'rif-dimashq', 'aleppo', 'homs', 'latakia', 'tartus'],
  fee: 15000,
  slaHours: 72,
  refusal: { code: 'LICENCE_SUSPENDED', reason: 'licence-suspended' },
  received: { path: { licenceNumber: 'T-20417' }, query: { statement } },
});

const insurance = (code: string, kind: string, names: SeedService['names'], description: SeedService['description']): SeedService => ({
  code,
  names,
  description,
  provider: 'sif-insurance',
  operation: 'IssuePolicy',
  fields: { plateNumber: PLATE, plateGovernorate: GOVERNORATE, months: { type: 'integer', enum: [3, 6, 12] } },
  example: { plateNumber: '123456', plateGovernorate: 'damascus', months: 12 },
  input: `{ "headers": { "Idempotency-Key": payload.id & ":sif-insurance.IssuePolicy" }, "body": { "plate": payload.fields.plateNumber, "governorate": payload.fields.plateGovernorate, "ownerNationalNumber": payload.applicant.nationalNumber, "months": payload.fields.months, "kind": "${kind}" } }`,
  reference: 'policyNumber',
  channels: HOME,
  delivery: ['counter', 'electronic'],
  fee: 42000,
  slaHours: 4,
  refusal: { code: 'VEHICLE_NOT_INSURABLE', reason: 'vehicle-not-insurable' },
  received: { body: { plate: '123456', kind, ownerNationalNumber: DEMO_NN } },
});

const t = (ar: string, en: string) => ({ ar, en });

// ---------------------------------------------------------------- the 48

export const SEED_SERVICES: SeedService[] = [
  // Ministry of Interior — civil registry (SOAP 1.1, X-Road)
  moi('civil-registry-individual-extract', t('إخراج قيد فردي', 'Individual civil-registry extract'), t('وثيقة من السجل المدني تبيّن قيد المواطن الفردي، تصدرها وزارة الداخلية.', "A civil-registry document showing a citizen's individual record, issued by the Ministry of Interior."), 'IssueIndividualExtract', {
    ownFlow: true,
    fields: { purpose: PURPOSE, copies: COPIES, language: LANGUAGE },
    example: { purpose: 'employment', copies: 1, language: 'ar' },
    input: '',
    reference: 'extractReference',
  }),
  moi('civil-registry-family-extract', t('إخراج قيد عائلي', 'Family civil-registry extract'), t('بيان قيد الأسرة: رب الأسرة والزوجة والأولاد كما هم في السجل المدني.', 'The family record: the head of the family, spouse and children as the civil registry holds them.'), 'IssueFamilyExtract', {
    fields: { purpose: PURPOSE, copies: COPIES, language: LANGUAGE },
    example: { purpose: 'official', copies: 1 },
    input: `{ "nationalNumber": payload.applicant.nationalNumber, "purpose": payload.fields.purpose, "copies": payload.fields.copies, "language": payload.language ? payload.language : "ar", "applicantName": ${NAME_AR} }`,
    reference: 'extractReference',
  }),
  civilDocument('birth-certificate-extract', 'birth', t('بيان ولادة', 'Birth certificate extract'), t('بيان بواقعة الولادة المسجلة في السجل المدني.', 'An extract of the birth as registered in the civil registry.'), { fields: { copies: COPIES, language: LANGUAGE, eventYear: YEAR }, optional: ['language', 'eventYear'] }),
  civilDocument('marriage-certificate-extract', 'marriage', t('بيان زواج', 'Marriage certificate extract'), t('بيان بواقعة الزواج المسجلة.', 'An extract of a registered marriage.'), { fields: { copies: COPIES, language: LANGUAGE, eventYear: YEAR }, optional: ['language'], example: { copies: 1, eventYear: 2012 }, refusal: { code: 'EVENT_NOT_REGISTERED', reason: 'event-not-registered' } }),
  civilDocument('divorce-certificate-extract', 'divorce', t('بيان طلاق', 'Divorce certificate extract'), t('بيان بواقعة الطلاق المسجلة.', 'An extract of a registered divorce.'), { fields: { copies: COPIES, language: LANGUAGE, eventYear: YEAR }, optional: ['language'], example: { copies: 1, eventYear: 2019 }, refusal: { code: 'EVENT_NOT_REGISTERED', reason: 'event-not-registered' } }),
  civilDocument('death-certificate-extract', 'death', t('بيان وفاة', 'Death certificate extract'), t('بيان بواقعة وفاة مسجلة، يطلبه أحد ذوي المتوفى.', "An extract of a registered death, asked for by one of the deceased's family."), {
    fields: { deceasedNationalNumber: NN, copies: COPIES, language: LANGUAGE },
    optional: ['language'],
    example: { deceasedNationalNumber: '01020304051', copies: 1 },
    refusal: { code: 'EVENT_NOT_REGISTERED', reason: 'event-not-registered' },
    received: { nationalNumber: '01020304051', documentType: 'death' },
  }),
  civilDocument('civil-status-statement', 'civil-status', t('بيان وضع عائلي', 'Civil-status statement'), t('بيان بالوضع العائلي: أعزب، متزوج، مطلق، أرمل.', 'A statement of civil status: single, married, divorced, widowed.')),
  civilDocument('residence-statement', 'residence', t('بيان إقامة', 'Residence statement'), t('بيان بمكان الإقامة المسجل.', 'A statement of the registered place of residence.'), { channels: HOME, delivery: LOCAL, expatFee: undefined }),
  civilDocument('nationality-statement', 'nationality', t('بيان جنسية', 'Nationality statement'), t('بيان بالجنسية العربية السورية.', 'A statement of Syrian nationality.')),
  civilDocument('name-match-statement', 'name-match', t('بيان مطابقة اسم', 'Name-match statement'), t('بيان بأن الاسم بالأحرف اللاتينية يطابق القيد المدني.', 'A statement that a name in Latin letters is the one in the civil record.')),

  // Ministry of Justice — judicial records (SOAP 1.2)
  {
    code: 'no-criminal-record-certificate',
    names: t('وثيقة غير محكوم', 'No-criminal-record certificate'),
    description: t('وثيقة من السجل العدلي بعدم وجود أحكام جزائية، تصدرها وزارة العدل.', 'A certificate from the judicial record that the citizen has no criminal convictions, issued by the Ministry of Justice.'),
    provider: 'moj-judicial-records',
    operation: 'IssueCriminalRecordCertificate',
    fields: { purpose: { type: 'string', enum: ['employment', 'travel', 'official', 'other'] }, copies: COPIES },
    example: { purpose: 'employment', copies: 1 },
    input: `{ "nationalNumber": payload.applicant.nationalNumber, "fullName": ${NAME_AR}, "motherName": payload.applicant.motherName, "birthDate": payload.applicant.birthDate, "purpose": payload.fields.purpose, "copies": payload.fields.copies }`,
    reference: 'certificateNumber',
    channels: HOME,
    delivery: LOCAL,
    fee: 2500,
    slaHours: 24,
    refusal: { code: 'IDENTITY_MISMATCH', reason: 'identity-mismatch' },
    received: { nationalNumber: DEMO_NN, purpose: 'employment' },
  },
  {
    code: 'no-criminal-record-certificate-abroad',
    names: t('وثيقة غير محكوم للمغتربين', 'No-criminal-record certificate for use abroad'),
    description: t('وثيقة غير محكوم لاستعمالها في بلد الإقامة، تُرسل بالبريد الدولي.', 'A no-criminal-record certificate for use in the country of residence, sent by international mail.'),
    provider: 'moj-judicial-records',
    operation: 'IssueCriminalRecordCertificate',
    fields: { destinationCountry: COUNTRY, copies: COPIES },
    example: { destinationCountry: 'DE', copies: 1 },
    input: `{ "nationalNumber": payload.applicant.nationalNumber, "fullName": ${NAME_AR}, "motherName": payload.applicant.motherName, "birthDate": payload.applicant.birthDate, "purpose": "residence-abroad", "destinationCountry": payload.fields.destinationCountry, "copies": payload.fields.copies }`,
    reference: 'certificateNumber',
    channels: ['expat-portal', 'centre'],
    delivery: ['international-post', 'electronic', 'counter'],
    fee: 2500,
    expatFee: 30000,
    slaHours: 72,
    refusal: { code: 'IDENTITY_MISMATCH', reason: 'identity-mismatch' },
    received: { purpose: 'residence-abroad', destinationCountry: 'DE' },
  },
  ...(
    [
      ['court-judgment-copy', 'judgment-copy', t('صورة حكم قضائي', 'Copy of a court judgment'), t('صورة مصدقة عن حكم صادر عن المحاكم السورية.', 'A certified copy of a judgment of the Syrian courts.')],
      ['inheritance-limitation-copy', 'inheritance-limitation', t('صورة حصر إرث', 'Copy of an inheritance limitation'), t('صورة مصدقة عن قرار حصر الإرث.', 'A certified copy of an inheritance-limitation decision.')],
    ] as const
  ).map(
    ([code, type, names, description]): SeedService => ({
      code,
      names,
      description,
      provider: 'moj-judicial-records',
      operation: 'IssueCourtDocument',
      fields: { caseNumber: { type: 'string', pattern: '^[0-9]{1,6}/[0-9]{4}$' }, court: { type: 'string', minLength: 2, maxLength: 80 }, copies: COPIES },
      example: { caseNumber: '1520/2021', court: 'محكمة البداية المدنية بدمشق', copies: 1 },
      input: `{ "documentType": "${type}", "nationalNumber": payload.applicant.nationalNumber, "caseNumber": payload.fields.caseNumber, "court": payload.fields.court, "copies": payload.fields.copies }`,
      reference: 'documentNumber',
      channels: EVERYONE,
      delivery: ALL,
      fee: 4000,
      expatFee: 30000,
      slaHours: 96,
      refusal: { code: 'CASE_NOT_FOUND', reason: 'case-not-found' },
      received: { documentType: type, caseNumber: '1520/2021' },
    }),
  ),
  {
    code: 'non-litigation-statement',
    names: t('بيان عدم وجود دعوى', 'Non-litigation statement'),
    description: t('بيان بعدم وجود دعاوى قضائية قائمة باسم المواطن.', 'A statement that no court case is pending against the citizen.'),
    provider: 'moj-judicial-records',
    operation: 'IssueCourtDocument',
    fields: { copies: COPIES },
    example: { copies: 1 },
    input: '{ "documentType": "non-litigation", "nationalNumber": payload.applicant.nationalNumber, "copies": payload.fields.copies }',
    reference: 'documentNumber',
    channels: HOME,
    delivery: LOCAL,
    fee: 2000,
    slaHours: 48,
    refusal: { code: 'PERSON_NOT_FOUND', reason: 'person-not-found' },
    received: { documentType: 'non-litigation', nationalNumber: DEMO_NN },
  },
  {
    code: 'power-of-attorney-verification',
    names: t('التحقق من وكالة', 'Power-of-attorney verification'),
    description: t('تحقق من سريان وكالة منظمة لدى كاتب العدل ومن نطاقها.', 'A check that a power of attorney made before a notary is in force, and of its scope.'),
    provider: 'moj-judicial-records',
    operation: 'VerifyPowerOfAttorney',
    fields: { poaNumber: { type: 'string', pattern: '^[0-9]{1,7}$' }, notaryOffice: { type: 'string', minLength: 2, maxLength: 80 } },
    example: { poaNumber: '88412', notaryOffice: 'كاتب العدل الأول بدمشق' },
    input: '{ "poaNumber": payload.fields.poaNumber, "notaryOffice": payload.fields.notaryOffice, "principalNationalNumber": payload.applicant.nationalNumber }',
    reference: 'verificationNumber',
    channels: EVERYONE,
    delivery: ['electronic', 'counter'],
    fee: 3000,
    expatFee: 15000,
    slaHours: 24,
    refusal: { code: 'POA_REVOKED', reason: 'poa-revoked' },
    received: { poaNumber: '88412', principalNationalNumber: DEMO_NN },
  },

  // Ministry of Education — examinations (SOAP 1.1, WS-Security)
  exam('basic-education-certificate', 'basic', t('مصدقة شهادة التعليم الأساسي', 'Basic education certificate'), t('مصدقة نجاح في امتحان شهادة التعليم الأساسي.', 'A certified statement of passing the basic education examination.')),
  exam('secondary-scientific-certificate', 'secondary-scientific', t('مصدقة الشهادة الثانوية — الفرع العلمي', 'Secondary certificate — scientific'), t('مصدقة نجاح في الشهادة الثانوية العامة، الفرع العلمي.', 'A certified statement of passing the general secondary examination, scientific branch.')),
  exam('secondary-literary-certificate', 'secondary-literary', t('مصدقة الشهادة الثانوية — الفرع الأدبي', 'Secondary certificate — literary'), t('مصدقة نجاح في الشهادة الثانوية العامة، الفرع الأدبي.', 'A certified statement of passing the general secondary examination, literary branch.')),
  exam('secondary-vocational-certificate', 'secondary-vocational', t('مصدقة الشهادة الثانوية المهنية', 'Vocational secondary certificate'), t('مصدقة نجاح في الشهادة الثانوية المهنية.', 'A certified statement of passing the vocational secondary examination.')),
  {
    ...exam('secondary-certificate-replacement', 'secondary-scientific', t('بدل ضائع لمصدقة الشهادة الثانوية', 'Replacement secondary certificate'), t('نسخة بدل ضائع من مصدقة الشهادة الثانوية.', 'A replacement for a lost secondary certificate.')),
    fields: { examType: { type: 'string', enum: ['secondary-scientific', 'secondary-literary', 'secondary-vocational', 'secondary-religious'] }, examYear: YEAR, seatNumber: { type: 'string', pattern: '^[0-9]{4,8}$' } },
    example: { examType: 'secondary-literary', examYear: 2010, seatNumber: '55012' },
    input: '{ "examType": payload.fields.examType, "examYear": payload.fields.examYear, "seatNumber": payload.fields.seatNumber, "nationalNumber": payload.applicant.nationalNumber, "duplicate": true }',
    refusal: { code: 'CERTIFICATE_ALREADY_ISSUED', reason: 'already-issued' },
    received: { examType: 'secondary-literary', duplicate: true },
    fee: 6000,
  },
  ...(
    [
      ['secondary-certificate-equivalence', 'secondary', t('معادلة شهادة ثانوية أجنبية', 'Equivalence of a foreign secondary certificate')],
      ['basic-certificate-equivalence', 'basic', t('معادلة شهادة تعليم أساسي أجنبية', 'Equivalence of a foreign basic certificate')],
    ] as const
  ).map(
    ([code, level, names]): SeedService => ({
      code,
      names,
      description: t('معادلة شهادة صادرة خارج سورية بما يقابلها من الشهادات السورية.', 'Equivalence of a certificate issued abroad with its Syrian counterpart.'),
      provider: 'moe-exams',
      operation: 'IssueEquivalence',
      fields: { country: COUNTRY, certificateTitle: { type: 'string', minLength: 2, maxLength: 120 }, graduationYear: YEAR },
      example: { country: 'AE', certificateTitle: 'UAE General Secondary Certificate', graduationYear: 2019 },
      input: `{ "nationalNumber": payload.applicant.nationalNumber, "level": "${level}", "country": payload.fields.country, "certificateTitle": payload.fields.certificateTitle, "graduationYear": payload.fields.graduationYear }`,
      reference: 'equivalenceNumber',
      channels: EVERYONE,
      delivery: ALL,
      fee: 10000,
      expatFee: 40000,
      slaHours: 240,
      refusal: { code: 'EQUIVALENCE_REFUSED', reason: 'equivalence-refused' },
      received: { level, country: 'AE' },
    }),
  ),
  {
    code: 'school-record-statement',
    names: t('وثيقة قيد مدرسي', 'School enrolment record'),
    description: t('وثيقة بقيد الطالب في مدرسته للعام الدراسي.', "A record of a pupil's enrolment at school for a school year."),
    provider: 'moe-exams',
    operation: 'GetSchoolRecord',
    fields: { schoolYear: { type: 'string', pattern: '^[0-9]{4}-[0-9]{4}$' }, grade: { type: 'integer', minimum: 1, maximum: 12 } },
    example: { schoolYear: '2025-2026', grade: 9 },
    input: '{ "nationalNumber": payload.beneficiary.nationalNumber ? payload.beneficiary.nationalNumber : payload.applicant.nationalNumber, "schoolYear": payload.fields.schoolYear, "grade": payload.fields.grade }',
    reference: 'recordNumber',
    channels: HOME,
    delivery: ['counter', 'electronic'],
    fee: 1000,
    slaHours: 48,
    refusal: { code: 'STUDENT_NOT_FOUND', reason: 'student-not-found' },
    received: { schoolYear: '2025-2026', grade: 9 },
  },

  // Ministry of Higher Education — degrees (REST, OAuth2)
  ...(
    [
      ['university-degree-authentication', HOME, LOCAL, t('تصديق شهادة جامعية', 'University degree authentication'), undefined],
      ['university-degree-authentication-abroad', EVERYONE, ALL, t('تصديق شهادة جامعية للمغتربين', 'University degree authentication for use abroad'), 'destinationCountry'],
    ] as const
  ).map(
    ([code, channels, delivery, names, abroad]): SeedService => ({
      code,
      names,
      description: t('تصديق وزارة التعليم العالي على شهادة صادرة عن جامعة سورية.', 'The Ministry of Higher Education authenticates a degree of a Syrian university.'),
      provider: 'mohe-degrees',
      operation: 'AuthenticateDegree',
      fields: { university: { type: 'string', enum: ['damascus-university', 'aleppo-university', 'tishreen-university', 'al-baath-university', 'svu'] }, degree: { type: 'string', enum: ['diploma', 'bachelor', 'master', 'doctorate'] }, graduationYear: YEAR, ...(abroad ? { destinationCountry: COUNTRY } : {}) },
      example: { university: 'damascus-university', degree: 'bachelor', graduationYear: 2014, ...(abroad ? { destinationCountry: 'SE' } : {}) },
      input: `{ "headers": { "Idempotency-Key": payload.id & ":mohe-degrees.AuthenticateDegree" }, "body": { "nationalNumber": payload.applicant.nationalNumber, "university": payload.fields.university, "degree": payload.fields.degree, "graduationYear": payload.fields.graduationYear${abroad ? ', "destinationCountry": payload.fields.destinationCountry' : ''} } }`,
      reference: 'authenticationNumber',
      channels: [...channels],
      delivery: [...delivery],
      fee: 8000,
      ...(abroad ? { expatFee: 45000 } : {}),
      slaHours: 72,
      refusal: { code: 'FEES_UNPAID', reason: 'fees-unpaid' },
      received: { body: { nationalNumber: DEMO_NN, university: 'damascus-university' } },
    }),
  ),
  ...(
    [
      ['university-transcript', 'payload.language ? payload.language : "ar"', t('كشف علامات جامعي', 'University transcript')],
      ['university-transcript-english', '"en"', t('كشف علامات جامعي باللغة الإنكليزية', 'University transcript in English')],
    ] as const
  ).map(
    ([code, language, names]): SeedService => ({
      code,
      names,
      description: t('كشف بعلامات الطالب في مقررات دراسته الجامعية.', "A statement of a student's marks in the courses of their degree."),
      provider: 'mohe-degrees',
      operation: 'GetTranscript',
      fields: { university: { type: 'string', enum: ['damascus-university', 'aleppo-university', 'tishreen-university', 'al-baath-university', 'svu'] } },
      example: { university: 'aleppo-university' },
      input: `{ "path": { "nationalNumber": payload.applicant.nationalNumber }, "query": { "university": payload.fields.university, "language": ${language} } }`,
      reference: 'transcriptNumber',
      channels: EVERYONE,
      delivery: ALL,
      fee: 5000,
      expatFee: 30000,
      slaHours: 72,
      refusal: { code: 'GRADUATE_NOT_FOUND', reason: 'graduate-not-found' },
      received: { path: { nationalNumber: DEMO_NN }, query: { university: 'aleppo-university' } },
    }),
  ),
  {
    code: 'foreign-degree-equivalence',
    names: t('معادلة شهادة جامعية أجنبية', 'Equivalence of a foreign university degree'),
    description: t('معادلة شهادة جامعية صادرة خارج سورية.', 'Equivalence of a university degree obtained abroad.'),
    provider: 'mohe-degrees',
    operation: 'RequestEquivalence',
    fields: { country: COUNTRY, institution: { type: 'string', minLength: 2, maxLength: 120 }, degree: { type: 'string', enum: ['diploma', 'bachelor', 'master', 'doctorate'] }, graduationYear: YEAR },
    example: { country: 'RU', institution: 'Moscow State University', degree: 'master', graduationYear: 2016 },
    input: '{ "headers": { "Idempotency-Key": payload.id & ":mohe-degrees.RequestEquivalence" }, "body": { "nationalNumber": payload.applicant.nationalNumber, "country": payload.fields.country, "institution": payload.fields.institution, "degree": payload.fields.degree, "graduationYear": payload.fields.graduationYear } }',
    reference: 'equivalenceNumber',
    channels: EVERYONE,
    delivery: ALL,
    fee: 25000,
    expatFee: 60000,
    slaHours: 480,
    refusal: { code: 'EQUIVALENCE_REFUSED', reason: 'equivalence-refused' },
    received: { body: { country: 'RU', degree: 'master' } },
  },
  ...(
    [
      ['university-enrolment-statement', '{ "academicYear": payload.fields.academicYear }', { academicYear: { type: 'string', pattern: '^[0-9]{4}-[0-9]{4}$' } }, { academicYear: '2025-2026' }, t('وثيقة قيد جامعي', 'University enrolment statement')],
      ['university-graduation-statement', '{}', {}, {}, t('وثيقة تخرج', 'University graduation statement')],
    ] as const
  ).map(
    ([code, query, fields, example, names]): SeedService => ({
      code,
      names,
      description: t('وثيقة بوضع الطالب في جامعته: مسجل أو متخرج.', "A statement of a student's standing at university: enrolled or graduated."),
      provider: 'mohe-degrees',
      operation: 'GetEnrolmentStatement',
      fields: { ...fields },
      example: { ...example },
      input: `{ "path": { "nationalNumber": payload.applicant.nationalNumber }, "query": ${query} }`,
      reference: 'statementNumber',
      channels: HOME,
      delivery: ['counter', 'electronic'],
      fee: 2000,
      slaHours: 48,
      refusal: { code: 'STUDENT_NOT_FOUND', reason: 'student-not-found' },
      received: { path: { nationalNumber: DEMO_NN } },
    }),
  ),

  // Ministry of Transport — vehicles and licences (REST, OpenAPI)
  vehicle('vehicle-ownership-statement', 'GetOwnershipStatement', t('بيان ملكية مركبة', 'Vehicle ownership statement'), t('بيان من مديرية النقل بملكية مركبة وما عليها من إشارات، تصدره وزارة النقل.', 'A statement from the transport directorate of a vehicle\'s ownership and any liens on it, issued by the Ministry of Transport.'), { ownFlow: true, input: '' }),
  vehicle('vehicle-lien-statement', 'GetOwnershipStatement', t('بيان إشارات على مركبة', 'Vehicle liens statement'), t('بيان بالرهون والحجوزات المسجلة على مركبة.', 'A statement of the mortgages and seizures registered on a vehicle.')),
  vehicle('vehicle-registration-statement', 'GetOwnershipStatement', t('بيان تسجيل مركبة', 'Vehicle registration statement'), t('بيان بتسجيل المركبة ومواصفاتها.', "A statement of a vehicle's registration and particulars.")),
  vehicle('vehicle-violations-statement', 'GetViolationsStatement', t('بيان مخالفات مركبة', 'Traffic violations statement'), t('بيان بالمخالفات المرورية غير المسددة على مركبة.', 'A statement of the unpaid traffic violations of a vehicle.'), { refusal: { code: 'VIOLATIONS_UNPAID', reason: 'fees-unpaid' }, fee: 2500 }),
  licence('driving-licence-statement', t('بيان رخصة قيادة', 'Driving-licence statement'), t('بيان برخصة القيادة وفئاتها وصلاحيتها.', "A statement of a driving licence, its categories and validity.")),
  licence('driving-licence-points-statement', t('بيان نقاط رخصة القيادة', 'Driving-licence points statement'), t('بيان بالنقاط المسجلة على رخصة القيادة.', 'A statement of the points recorded against a driving licence.'), { fee: 3000 }),
  licence('driving-licence-authentication-abroad', t('تصديق رخصة قيادة للمغتربين', 'Driving-licence authentication for use abroad'), t('بيان مصدق برخصة القيادة السورية لاستعماله خارج سورية.', 'An authenticated statement of a Syrian driving licence for use abroad.'), { channels: EVERYONE, delivery: ['international-post', 'electronic', 'counter'], expatFee: 35000 }),

  // Ministry of Tourism — licensing (REST, described by hand)
  facility('tourist-facility-licence-statement', 'licence', t('بيان ترخيص منشأة سياحية', 'Tourist facility licence statement'), t('بيان بترخيص منشأة سياحية وسريانه.', "A statement of a tourist facility's licence and its validity.")),
  facility('tourist-facility-classification-certificate', 'classification', t('شهادة تصنيف منشأة سياحية', 'Tourist facility classification certificate'), t('شهادة بتصنيف المنشأة السياحية (النجوم).', "A certificate of a tourist facility's classification (stars).")),
  facility('tourism-investment-statement', 'investment', t('بيان مشروع استثمار سياحي', 'Tourism investment statement'), t('بيان بوضع مشروع استثمار سياحي مرخص.', 'A statement of a licensed tourism investment project.')),
  {
    code: 'tour-guide-card-statement',
    names: t('بيان بطاقة دليل سياحي', 'Tour-guide card statement'),
    description: t('بيان ببطاقة الدليل السياحي ولغاتها وصلاحيتها.', "A statement of a tour guide's card, its languages and validity."),
    provider: 'motour-licensing',
    operation: 'GetGuideCard',
    fields: {},
    example: {},
    input: '{ "path": { "nationalNumber": payload.applicant.nationalNumber } }',
    reference: 'cardNumber',
    channels: HOME,
    delivery: ['counter', 'electronic'],
    fee: 5000,
    slaHours: 48,
    refusal: { code: 'GUIDE_NOT_FOUND', reason: 'person-not-found' },
    received: { path: { nationalNumber: DEMO_NN } },
  },
  {
    code: 'travel-agency-statement',
    names: t('بيان مكتب سياحة وسفر', 'Travel agency statement'),
    description: t('بيان بترخيص مكتب سياحة وسفر ووضعه.', "A statement of a travel agency's licence and standing."),
    provider: 'motour-licensing',
    operation: 'GetAgencyStatement',
    fields: { registration: { type: 'string', pattern: '^A-[0-9]{4}$' } },
    example: { registration: 'A-0412' },
    input: '{ "path": { "registration": payload.fields.registration } }',
    reference: 'statementNumber',
    channels: HOME,
    delivery: COUNTER_POST,
    governorates: ['damascus', 'rif-dimashq', 'aleppo', 'homs', 'latakia', 'tartus'],
    fee: 10000,
    slaHours: 72,
    refusal: { code: 'LICENCE_NOT_FOUND', reason: 'licence-not-found' },
    received: { path: { registration: 'A-0412' } },
  },

  // Syrian Insurance Federation (REST, XML bodies)
  insurance('compulsory-vehicle-insurance', 'new', t('تأمين إلزامي للمركبة', 'Compulsory vehicle insurance'), t('وثيقة التأمين الإلزامي للمركبات من إحدى شركات التأمين الأعضاء في الاتحاد.', 'A compulsory motor insurance policy from a member company of the insurance federation.')),
  insurance('compulsory-vehicle-insurance-renewal', 'renewal', t('تجديد التأمين الإلزامي للمركبة', 'Compulsory vehicle insurance renewal'), t('تجديد وثيقة التأمين الإلزامي للمركبة.', 'Renewal of a compulsory motor insurance policy.')),
  {
    code: 'insurance-policy-statement',
    names: t('بيان وثيقة تأمين', 'Insurance policy statement'),
    description: t('بيان بوثيقة تأمين إلزامي وسريانها.', 'A statement of a compulsory insurance policy and its validity.'),
    provider: 'sif-insurance',
    operation: 'GetPolicy',
    fields: { policyNumber: { type: 'string', pattern: '^[A-Z0-9-]{6,20}$' } },
    example: { policyNumber: 'SIF-2026-004417' },
    input: '{ "path": { "policyNumber": payload.fields.policyNumber } }',
    reference: 'policyNumber',
    channels: HOME,
    delivery: ['counter', 'electronic'],
    fee: 2000,
    slaHours: 24,
    refusal: { code: 'POLICY_NOT_FOUND', reason: 'policy-not-found' },
    received: { path: { policyNumber: 'SIF-2026-004417' } },
  },
  ...(
    [
      ['vehicle-claims-statement', t('بيان حوادث مركبة', 'Vehicle claims statement')],
      ['vehicle-no-claims-certificate', t('شهادة عدم وجود حوادث', 'No-claims certificate')],
    ] as const
  ).map(
    ([code, names]): SeedService => ({
      code,
      names,
      description: t('بيان بحوادث المركبة المسجلة لدى شركات التأمين.', 'A statement of the accidents of a vehicle recorded by the insurers.'),
      provider: 'sif-insurance',
      operation: 'GetClaimsStatement',
      fields: { plateNumber: PLATE, plateGovernorate: GOVERNORATE },
      example: { plateNumber: '654321', plateGovernorate: 'aleppo' },
      input: '{ "path": { "plate": payload.fields.plateNumber }, "query": { "governorate": payload.fields.plateGovernorate } }',
      reference: 'statementNumber',
      channels: HOME,
      delivery: LOCAL,
      fee: 3000,
      slaHours: 48,
      refusal: { code: 'VEHICLE_NOT_FOUND', reason: 'vehicle-not-found' },
      received: { path: { plate: '654321' } },
    }),
  ),
];
