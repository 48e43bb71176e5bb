/**
 * What the ministries' records say about the person, vehicle or licence a request is about,
 * from the seed citizens (citizens.ts): the members a generated simulator lays over its generated
 * answer, so the family extract, the degree and the vehicle statement of one person agree. A
 * request about no one in the data gets the generated answer as it is; refusals come from
 * scenarios. The answer is still checked against the operation's output schema.
 */
import { citizen, holderOfLicence, holderOfPolicy, ownerOfPlate, type Citizen } from './citizens';

type Input = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type Members = Record<string, unknown>;

const names = (c: Citizen) => ({ firstName: c.firstName, fatherName: c.fatherName, motherName: c.motherName, familyName: c.familyName });
const entry = (c: Citizen) => ({ governorate: c.registry.governorate, registryPlace: c.registry.registryPlace, entryNumber: c.registry.entryNumber });
const relation = (head: Citizen, other: Citizen) => (other.nationalNumber === head.spouse ? (other.gender === 'female' ? 'زوجة' : 'زوج') : other.gender === 'female' ? 'ابنة' : 'ابن');

const BY_OPERATION: Record<string, (input: Input) => Members | undefined> = {
  'moi-civil-registry.IssueIndividualExtract': (i) => {
    const c = citizen(i.nationalNumber);
    return c && { names: names(c), entry: entry(c) };
  },
  'moi-civil-registry.IssueCivilDocument': (i) => {
    const c = citizen(i.nationalNumber);
    return c && { names: names(c), entry: entry(c), ...(i.documentType === 'birth' ? { eventDate: c.birthDate } : {}) };
  },
  'moi-civil-registry.IssueFamilyExtract': (i) => {
    const c = citizen(i.nationalNumber);
    if (!c) return undefined;
    const head = c.gender === 'male' || !c.spouse ? c : (citizen(c.spouse) ?? c);
    const members = [head.spouse, ...head.children].map((n) => citizen(n)).filter((m): m is Citizen => !!m);
    return { headOfFamily: names(head), entry: entry(head), member: members.map((m) => ({ nationalNumber: m.nationalNumber, fullName: m.fullNameAr, relation: relation(head, m), birthDate: m.birthDate })) };
  },
  'moj-judicial-records.IssueCriminalRecordCertificate': (i) => {
    const c = citizen(i.nationalNumber);
    return c && { holderName: c.fullNameAr };
  },
  'moe-exams.GetExamCertificate': (i) => {
    const c = citizen(i.nationalNumber);
    if (!c?.school) return c && { studentName: c.fullNameAr };
    const basic = i.examType === 'basic';
    return { studentName: c.fullNameAr, total: basic ? c.school.basicTotal : c.school.secondaryTotal, maxTotal: basic ? 310 : 240 };
  },
  'mohe-degrees.AuthenticateDegree': (i) => {
    const c = citizen(i.body?.nationalNumber);
    return c && { studentName: c.fullNameAr };
  },
  'mohe-degrees.GetTranscript': (i) => {
    const u = citizen(i.path?.nationalNumber)?.university;
    return u && { faculty: u.faculty, gpa: u.gpa };
  },
  'mohe-degrees.GetEnrolmentStatement': (i) => {
    const u = citizen(i.path?.nationalNumber)?.university;
    return u && { university: u.university, faculty: u.faculty, status: 'graduated' };
  },
  'mot-vehicle-registry.GetOwnershipStatement': (i) => {
    const c = ownerOfPlate(i.path?.plate);
    const v = c?.vehicles.find((x) => x.plate === i.path?.plate);
    return c && v && { owner: { nationalNumber: c.nationalNumber, nameAr: c.fullNameAr }, vehicle: { plate: v.plate, governorate: v.governorate, make: v.make, model: v.model, year: v.year } };
  },
  'mot-vehicle-registry.GetLicenceStatement': (i) => {
    const c = holderOfLicence(i.path?.licenceNumber);
    return c?.licence && { holderName: c.fullNameAr, categories: c.licence.categories, expiresOn: c.licence.expiresOn, points: c.licence.points, status: 'valid' };
  },
  'sif-insurance.GetPolicy': (i) => {
    const c = holderOfPolicy(i.path?.policyNumber);
    const v = c?.vehicles.find((x) => x.policyNumber === i.path?.policyNumber);
    return v && { plate: v.plate, insurer: 'المؤسسة العامة السورية للتأمين' };
  },
  'motour-licensing.GetGuideCard': (i) => {
    const c = citizen(i.path?.nationalNumber);
    return c && { holderName: c.fullNameAr };
  },
};

/** The seed data's members for this request, or undefined when it is about no one in the data. */
export function seedAnswer(provider: string, operation: string, input: unknown): Members | undefined {
  const f = BY_OPERATION[`${provider}.${operation}`];
  return f && typeof input === 'object' && input !== null ? f(input as Input) : undefined;
}
