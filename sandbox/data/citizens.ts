/**
 * The sandbox's fictitious citizens: a few hundred people in households, with their civil
 * records, school and university records, vehicles, driving licences and insurance policies —
 * made deterministically from a fixed seed, so every simulator, scenario and demo sees the same
 * people (the family extract names the children whose degrees the ministry authenticates).
 * None of them exists; national numbers start with 0 and names are drawn from common ones.
 *
 * The first citizen is the applicant of the services' examples (01020304050, ريم خالد الأحمد),
 * and the examples' vehicle, licence, policy and licences belong to seed people too, so the
 * catalogue's own examples are answered from the data.
 */
import type { Governorate } from '../../contracts/types';

export interface Citizen {
  nationalNumber: string;
  firstName: string;
  fatherName: string;
  motherName: string;
  familyName: string;
  fullNameAr: string;
  fullNameLatin: string;
  gender: 'male' | 'female';
  birthDate: string;
  governorate: Governorate;
  registry: { governorate: string; registryPlace: string; entryNumber: string };
  phone: string;
  maritalStatus: 'single' | 'married' | 'divorced' | 'widowed';
  /** National numbers: spouse, children, parents (the household's). */
  spouse?: string;
  children: string[];
  parents: string[];
  school?: { basicYear: number; basicSeat: string; basicTotal: number; secondaryType: string; secondaryYear: number; secondarySeat: string; secondaryTotal: number };
  university?: { university: string; faculty: string; degree: 'diploma' | 'bachelor' | 'master' | 'doctorate'; graduationYear: number; gpa: number };
  vehicles: Array<{ plate: string; governorate: Governorate; make: string; model: string; year: number; policyNumber: string }>;
  licence?: { number: string; categories: string[]; expiresOn: string; points: number };
}

const MALE = ['أحمد', 'محمد', 'خالد', 'سامر', 'نزار', 'باسل', 'عمر', 'يوسف', 'فادي', 'رامي', 'مازن', 'حسام', 'وسيم', 'طارق', 'جورج', 'إلياس', 'عماد', 'زياد', 'كريم', 'ماهر'];
const MALE_LATIN = ['Ahmad', 'Mohammad', 'Khaled', 'Samer', 'Nizar', 'Basel', 'Omar', 'Yousef', 'Fadi', 'Rami', 'Mazen', 'Hussam', 'Wassim', 'Tarek', 'George', 'Elias', 'Imad', 'Ziad', 'Karim', 'Maher'];
const FEMALE = ['ريم', 'هبة', 'سلمى', 'وداد', 'لينا', 'رنا', 'ديما', 'نور', 'مريم', 'سارة', 'لمى', 'هالة', 'رغد', 'جنى', 'ميس', 'علا', 'دانة', 'تالا', 'ياسمين', 'رشا'];
const FEMALE_LATIN = ['Reem', 'Hiba', 'Salma', 'Wedad', 'Lina', 'Rana', 'Dima', 'Nour', 'Mariam', 'Sara', 'Lama', 'Hala', 'Raghad', 'Jana', 'Mais', 'Ola', 'Dana', 'Tala', 'Yasmin', 'Rasha'];
const FAMILY = ['الأحمد', 'القاسم', 'الحلبي', 'الشامي', 'العلي', 'الخطيب', 'الحسن', 'المصري', 'السيد', 'النجار', 'الحداد', 'العمر', 'الزعبي', 'الأسعد', 'الحمصي', 'اللاذقاني', 'الطرطوسي', 'الدمشقي', 'الإدلبي', 'الحوراني'];
const FAMILY_LATIN = ['Al-Ahmad', 'Al-Qasem', 'Al-Halabi', 'Al-Shami', 'Al-Ali', 'Al-Khatib', 'Al-Hasan', 'Al-Masri', 'Al-Sayed', 'Al-Najjar', 'Al-Haddad', 'Al-Omar', 'Al-Zoubi', 'Al-Asaad', 'Al-Homsi', 'Al-Ladhqani', 'Al-Tartousi', 'Al-Dimashqi', 'Al-Idlibi', 'Al-Hourani'];
const GOVERNORATES: Governorate[] = ['damascus', 'rif-dimashq', 'aleppo', 'homs', 'hama', 'latakia', 'tartus', 'idlib', 'daraa', 'as-suwayda', 'quneitra', 'deir-ez-zor', 'raqqa', 'hasakah'];
const PLACES: Record<string, string> = { damascus: 'المزة', 'rif-dimashq': 'جرمانا', aleppo: 'الجميلية', homs: 'الوعر', hama: 'المدينة', latakia: 'الصليبة', tartus: 'المدينة', idlib: 'المدينة', daraa: 'المحطة', 'as-suwayda': 'المدينة', quneitra: 'خان أرنبة', 'deir-ez-zor': 'الجورة', raqqa: 'المدينة', 'hasakah': 'المدينة' };
const UNIVERSITIES = ['damascus-university', 'aleppo-university', 'tishreen-university', 'al-baath-university', 'svu'];
const FACULTIES = ['الهندسة المدنية', 'الطب البشري', 'الحقوق', 'الاقتصاد', 'الهندسة المعلوماتية', 'الآداب', 'الصيدلة'];
const MAKES = [['Kia', 'Rio'], ['Hyundai', 'Accent'], ['Toyota', 'Corolla'], ['Peugeot', '206'], ['Saipa', 'Saba'], ['Chery', 'Tiggo']];

/** mulberry32: small, fast and, above all, the same everywhere (the seed data, the demo's mix). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const SEED_APPLICANT = '01020304050';
const HOUSEHOLDS = 90;

let built: { list: Citizen[]; byNumber: Map<string, Citizen>; byPlate: Map<string, Citizen>; byLicence: Map<string, Citizen>; byPolicy: Map<string, Citizen> } | undefined;

function build() {
  const r = seededRandom(20261128);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const list: Citizen[] = [];
  let serial = 1020304050;
  const nn = () => String(serial++).padStart(11, '0');
  const date = (year: number) => `${year}-${String(int(1, 12)).padStart(2, '0')}-${String(int(1, 28)).padStart(2, '0')}`;
  let plate = 123456;
  let licence = 4471902;
  let policy = 4417;

  const person = (gender: 'male' | 'female', familyIdx: number, fatherName: string, motherName: string, year: number, gov: Governorate): Citizen => {
    const i = Math.floor(r() * 20);
    const firstName = gender === 'male' ? MALE[i]! : FEMALE[i]!;
    const latin = gender === 'male' ? MALE_LATIN[i]! : FEMALE_LATIN[i]!;
    const familyName = FAMILY[familyIdx]!;
    const c: Citizen = {
      nationalNumber: nn(),
      firstName,
      fatherName,
      motherName,
      familyName,
      fullNameAr: `${firstName} ${fatherName} ${familyName}`,
      fullNameLatin: `${latin} ${FAMILY_LATIN[familyIdx]!}`,
      gender,
      birthDate: date(year),
      governorate: gov,
      registry: { governorate: gov, registryPlace: PLACES[gov]!, entryNumber: String(int(10, 9999)) },
      phone: `+9639${int(30, 99)}${String(int(100000, 999999))}`,
      maritalStatus: 'single',
      children: [],
      parents: [],
      vehicles: [],
    };
    if (year <= 2008) {
      const basicYear = year + 15;
      const secondaryYear = year + 18;
      c.school = { basicYear, basicSeat: String(int(10000, 999999)), basicTotal: int(180, 310), secondaryType: pick(['secondary-scientific', 'secondary-literary', 'secondary-vocational']), secondaryYear, secondarySeat: String(int(10000, 999999)), secondaryTotal: int(140, 240) };
    }
    if (year <= 2002 && r() < 0.7) c.university = { university: pick(UNIVERSITIES), faculty: pick(FACULTIES), degree: pick(['bachelor', 'bachelor', 'bachelor', 'master', 'diploma', 'doctorate'] as const), graduationYear: year + int(22, 27), gpa: Math.round((55 + r() * 35) * 100) / 100 };
    return c;
  };

  for (let h = 0; h < HOUSEHOLDS; h++) {
    const familyIdx = h % 20;
    const gov = h === 0 ? 'damascus' : pick(GOVERNORATES);
    // The first household is the examples' applicant: ريم خالد الأحمد, born 1990, and her family.
    const wife = h === 0 ? { ...person('female', 0, 'خالد', 'سلمى', 1990, gov), firstName: 'ريم', fullNameAr: 'ريم خالد الأحمد', fullNameLatin: 'Reem Khaled Al-Ahmad', birthDate: '1990-04-12', phone: '+963944123456' } : person('female', pick([...FAMILY.keys()]), pick(MALE), pick(FEMALE), int(1960, 1998), gov);
    const husband = person('male', familyIdx, pick(MALE), pick(FEMALE), int(1955, 1995), gov);
    if (h === 0) wife.university = { university: 'damascus-university', faculty: 'الهندسة المدنية', degree: 'bachelor', graduationYear: 2014, gpa: 78.4 };
    const status = h % 11 === 5 ? 'divorced' : h % 13 === 7 ? 'widowed' : 'married';
    husband.maritalStatus = status === 'widowed' ? 'widowed' : (status as Citizen['maritalStatus']);
    wife.maritalStatus = status === 'widowed' ? 'married' : (status as Citizen['maritalStatus']);
    husband.spouse = wife.nationalNumber;
    wife.spouse = husband.nationalNumber;
    list.push(wife, husband);
    // Children are born when both parents are adults.
    const eldest = Math.max(Number(wife.birthDate.slice(0, 4)), Number(husband.birthDate.slice(0, 4))) + 20;
    const kids = eldest <= 2019 ? int(0, 3) : 0;
    for (let k = 0; k < kids; k++) {
      const child = person(r() < 0.5 ? 'male' : 'female', familyIdx, husband.firstName, wife.firstName, int(eldest, 2019), gov);
      child.parents = [husband.nationalNumber, wife.nationalNumber];
      husband.children.push(child.nationalNumber);
      wife.children.push(child.nationalNumber);
      list.push(child);
    }
    for (const adult of [husband, wife]) {
      if (h === 0 && adult === wife) continue;
      if (r() < 0.6) {
        const [make, model] = pick(MAKES)!;
        adult.vehicles.push({ plate: String(plate++ * 7 % 9999999), governorate: adult.governorate, make: make!, model: model!, year: int(2004, 2023), policyNumber: `SIF-2026-${String(policy++).padStart(6, '0')}` });
      }
      if (r() < 0.7) adult.licence = { number: String(licence++), categories: r() < 0.3 ? ['B', 'C'] : ['B'], expiresOn: date(int(2027, 2034)), points: int(0, 6) };
    }
  }
  // The examples' vehicle (123456, Damascus), licence and policy are Reem's.
  const reem = list[0]!;
  reem.vehicles.push({ plate: '123456', governorate: 'damascus', make: 'Kia', model: 'Rio', year: 2012, policyNumber: 'SIF-2026-004417' });
  reem.licence = { number: '4471902', categories: ['B'], expiresOn: '2031-06-30', points: 0 };
  const byNumber = new Map(list.map((c) => [c.nationalNumber, c]));
  const byPlate = new Map(list.flatMap((c) => c.vehicles.map((v) => [v.plate, c] as const)));
  const byLicence = new Map(list.filter((c) => c.licence).map((c) => [c.licence!.number, c] as const));
  const byPolicy = new Map(list.flatMap((c) => c.vehicles.map((v) => [v.policyNumber, c] as const)));
  return { list, byNumber, byPlate, byLicence, byPolicy };
}

export function citizens(): Citizen[] {
  return (built ??= build()).list;
}

export const citizen = (nationalNumber: string | undefined) => (nationalNumber ? (built ??= build()).byNumber.get(nationalNumber) : undefined);
export const ownerOfPlate = (plate: string | undefined) => (plate ? (built ??= build()).byPlate.get(plate) : undefined);
export const holderOfLicence = (n: string | undefined) => (n ? (built ??= build()).byLicence.get(n) : undefined);
export const holderOfPolicy = (n: string | undefined) => (n ? (built ??= build()).byPolicy.get(n) : undefined);
