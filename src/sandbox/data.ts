/**
 * Deterministic demo data: tenant 42 is a realistic Riyadh school with exactly 1,242 students
 * (the reference's paging example: 63 pages of 20); any other tenant gets a small, different
 * school in the UAE so tests can tell tenants apart.
 *
 * Everything comes from a PRNG seeded by the tenant id, so two sandboxes hold identical data.
 * The data is "as of" a fixed moment early in the 2026-2027 year, never the wall clock.
 */
import { NAMES, type NamePool, type Origin, slug } from "./names.js";
import { Random, seedFrom } from "./random.js";
import { DAY_MS, dateOnly, isoWithOffset } from "./time.js";

/** What every stored record has; the rest of the fields depend on the collection. */
export interface StoredRecord {
  id: number;
  created_at: string;
  updated_at: string;
  [field: string]: unknown;
}

export const RECORD_COLLECTIONS = [
  "students",
  "guardians",
  "subjects",
  "grades",
  "sections",
  "academic_years",
  "terms",
  "employees",
] as const;
export type RecordCollection = (typeof RECORD_COLLECTIONS)[number];

export interface School {
  name: string;
  domain: string;
  utcOffsetMinutes: number;
}

export type SeedData = { school: School } & Record<RecordCollection, StoredRecord[]>;

type IdAllocator = (collection: RecordCollection) => number;

export const DEMO_TENANT_ID = 42;
export const DEMO_STUDENT_COUNT = 1242;

/** The data is as of shortly after the first term of 2026-2027 began. */
const AS_OF = Date.UTC(2026, 8, 20, 9, 0, 0);
const CURRENT_YEAR_START = 2026;

interface Profile {
  school: School;
  students: number;
  sectionSize: number;
  employees: number;
  subjects: number;
  origins: ReadonlyArray<readonly [Origin, number]>;
  phone: (rng: Random) => string;
  nationalId: (rng: Random, origin: Origin, birthYear: number) => string;
}

const SAUDI_MOBILE_PREFIXES = ["50", "53", "54", "55", "56", "58", "59"];
const UAE_MOBILE_PREFIXES = ["50", "52", "54", "55", "56", "58"];

const DEMO_PROFILE: Profile = {
  school: { name: "Al Noor International School", domain: "alnoor-intl.edu.sa", utcOffsetMinutes: 180 },
  students: DEMO_STUDENT_COUNT,
  sectionSize: 28,
  employees: 90,
  subjects: 15,
  origins: [
    ["arab", 0.55],
    ["south_asian", 0.2],
    ["english", 0.1],
    ["filipino", 0.08],
    ["turkish", 0.07],
  ],
  phone: (rng) => `+966${rng.pick(SAUDI_MOBILE_PREFIXES)}${rng.digits(7)}`,
  // Saudi national ids start with 1, residents' iqama numbers with 2; both are 10 digits.
  nationalId: (rng, origin) => `${origin === "arab" && rng.chance(0.8) ? "1" : "2"}${rng.digits(9)}`,
};

const SMALL_SCHOOLS = [
  "Creekside British Academy",
  "Pearl Bay International School",
  "Desert Rose Academy",
  "Al Waha Private School",
];

function smallProfile(rng: Random): Profile {
  const name = rng.pick(SMALL_SCHOOLS);
  return {
    school: { name, domain: `${slug(name)}.ae`, utcOffsetMinutes: 240 },
    students: 40,
    sectionSize: 30,
    employees: 12,
    subjects: 10,
    origins: [
      ["english", 0.35],
      ["arab", 0.35],
      ["south_asian", 0.2],
      ["filipino", 0.1],
    ],
    phone: (r) => `+971${r.pick(UAE_MOBILE_PREFIXES)}${r.digits(7)}`,
    // Emirates ID: 784-<birth year>-<7 digits>-<check digit>.
    nationalId: (r, _origin, birthYear) => `784-${birthYear}-${r.digits(7)}-${r.digits(1)}`,
  };
}

const SUBJECTS: ReadonlyArray<readonly [string, string]> = [
  ["Mathematics", "MATH"],
  ["English Language", "ENG"],
  ["Arabic Language", "ARB"],
  ["Science", "SCI"],
  ["Islamic Studies", "ISL"],
  ["Social Studies", "SOC"],
  ["Computer Science", "CS"],
  ["Physical Education", "PE"],
  ["Art and Design", "ART"],
  ["Physics", "PHY"],
  ["Chemistry", "CHEM"],
  ["Biology", "BIO"],
  ["French", "FRE"],
  ["Quran", "QUR"],
  ["Business Studies", "BUS"],
  ["Geography", "GEO"],
];

/** Job titles and how many of each a school of 90 staff has; smaller schools take the first ones. */
const STAFF: ReadonlyArray<readonly [string, number]> = [
  ["Principal", 1],
  ["Mathematics Teacher", 8],
  ["English Teacher", 8],
  ["Arabic Teacher", 7],
  ["Vice Principal", 2],
  ["Science Teacher", 6],
  ["Registrar", 1],
  ["Islamic Studies Teacher", 5],
  ["Social Studies Teacher", 3],
  ["Computer Science Teacher", 3],
  ["Physical Education Teacher", 3],
  ["Head of Mathematics", 1],
  ["Head of English", 1],
  ["Head of Arabic", 1],
  ["Head of Science", 1],
  ["Physics Teacher", 2],
  ["Chemistry Teacher", 2],
  ["Biology Teacher", 2],
  ["Art Teacher", 2],
  ["French Teacher", 2],
  ["Teaching Assistant", 10],
  ["School Counsellor", 2],
  ["School Nurse", 2],
  ["Librarian", 1],
  ["IT Administrator", 2],
  ["Accountant", 2],
  ["HR Officer", 1],
  ["Admissions Officer", 1],
  ["Transport Coordinator", 1],
  ["Security Supervisor", 1],
  ["Receptionist", 2],
  ["Lab Technician", 2],
  ["Learning Support Coordinator", 1],
  ["Facilities Manager", 1],
];

const EMAIL_DOMAINS = ["gmail.com", "outlook.com", "hotmail.com", "yahoo.com", "icloud.com"];

const cache = new Map<number, SeedData>();

/**
 * The tenant's seed data, built once per process and frozen: sandboxes share it, and the store
 * never mutates a record (updates replace it), so a test can start many sandboxes cheaply.
 */
export function tenantSeed(tenantId: number): SeedData {
  let seed = cache.get(tenantId);
  if (!seed) {
    seed = buildTenantData(tenantId);
    for (const name of RECORD_COLLECTIONS) for (const record of seed[name]) Object.freeze(record);
    cache.set(tenantId, seed);
  }
  return seed;
}

/** Builds the data with ids from 1 in each collection; the store shifts them when they are taken. */
export function buildTenantData(tenantId: number): SeedData {
  const lastIds = new Map<RecordCollection, number>();
  const allocate: IdAllocator = (collection) => {
    const id = (lastIds.get(collection) ?? 0) + 1;
    lastIds.set(collection, id);
    return id;
  };
  const rng = new Random(seedFrom("okta-sandbox", tenantId));
  const profile = tenantId === DEMO_TENANT_ID ? DEMO_PROFILE : smallProfile(rng);
  const { utcOffsetMinutes } = profile.school;
  const stamp = (ms: number) => isoWithOffset(ms, utcOffsetMinutes);
  const stamped = (collection: RecordCollection, createdMs: number, fields: Record<string, unknown>) =>
    record(allocate(collection), fields, createdMs, createdMs, stamp);
  const setupMs = Date.UTC(2019, 5, 1, 6, 0, 0);

  const grades = Array.from({ length: 12 }, (_, i) =>
    stamped("grades", setupMs, { name: `Grade ${i + 1}`, level: i + 1 }),
  );

  const academic_years = [
    stamped("academic_years", Date.UTC(2025, 4, 10, 6), {
      name: "2025-2026",
      starts_on: "2025-08-24",
      ends_on: "2026-06-11",
      is_current: false,
    }),
    stamped("academic_years", Date.UTC(2026, 4, 12, 6), {
      name: "2026-2027",
      starts_on: "2026-08-23",
      ends_on: "2027-06-10",
      is_current: true,
    }),
  ];
  // Saudi schools run three terms a year.
  const termDates = (y: number) => [
    [`${y}-08-24`, `${y}-11-19`],
    [`${y}-11-30`, `${y + 1}-03-04`],
    [`${y + 1}-03-15`, `${y + 1}-06-11`],
  ];
  const terms = academic_years.flatMap((year, index) =>
    termDates(2025 + index).map(([starts_on, ends_on], t) =>
      stamped("terms", Date.UTC(2025 + index, 4, 12, 7), {
        name: `Term ${t + 1} ${year.name}`,
        academic_year_id: year.id,
        starts_on,
        ends_on,
      }),
    ),
  );

  const subjects = SUBJECTS.slice(0, profile.subjects).map(([name, code]) =>
    stamped("subjects", setupMs, { name, code }),
  );

  // Students per grade: lower grades are a little larger, counts sum exactly to the profile.
  const perGrade = apportion(
    profile.students,
    grades.map((_, i) => 1.2 - i * 0.03),
  );
  const sectionsOfGrade = grades.map((grade, i) => {
    const count = Math.max(1, Math.ceil(perGrade[i]! / profile.sectionSize));
    return Array.from({ length: count }, (_, s) =>
      stamped("sections", setupMs, {
        name: `${grade.level}-${String.fromCharCode(65 + s)}`,
        grade_id: grade.id,
      }),
    );
  });
  const sections = sectionsOfGrade.flat();

  const people = new People(rng, profile);
  const { students, guardians } = people.enrol(perGrade, grades, sectionsOfGrade, allocate, stamp);
  const employees = people.staff(allocate, stamp);

  return {
    school: profile.school,
    students,
    guardians,
    subjects,
    grades,
    sections,
    academic_years,
    terms,
    employees,
  };
}

/** Splits `total` by weights into integers that sum to `total` (largest remainder). */
export function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (total * w) / sum);
  const counts = exact.map(Math.floor);
  let left = total - counts.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0]);
  for (const [, i] of byRemainder) {
    if (left-- <= 0) break;
    counts[i]!++;
  }
  return counts;
}

interface Family {
  origin: Origin;
  pool: NamePool;
  family: string;
  father: string;
  mother: string;
  motherFamily: string;
}

interface StudentDraft {
  fields: Record<string, unknown>;
  createdMs: number;
  guardian: GuardianDraft;
}

interface GuardianDraft {
  fields: Record<string, unknown>;
  createdMs: number;
  id?: number;
}

/** People generation; keeps the uniqueness sets for phones, emails and national ids. */
class People {
  private readonly phones = new Set<string>();
  private readonly emails = new Set<string>();
  private readonly nationalIds = new Set<string>();

  constructor(
    private readonly rng: Random,
    private readonly profile: Profile,
  ) {}

  enrol(
    perGrade: readonly number[],
    grades: readonly StoredRecord[],
    sectionsOfGrade: readonly StoredRecord[][],
    allocate: IdAllocator,
    stamp: (ms: number) => string,
  ): { students: StoredRecord[]; guardians: StoredRecord[] } {
    const { rng } = this;
    // One slot per seat, shuffled, so siblings land in different grades.
    const slots = perGrade.flatMap((count, gradeIndex) => Array.from({ length: count }, () => gradeIndex));
    shuffle(rng, slots);
    const seatsTaken = perGrade.map(() => 0);

    const studentDrafts: StudentDraft[] = [];
    const guardianDrafts: GuardianDraft[] = [];
    while (slots.length > 0) {
      const family = this.family();
      const children = rng.weighted([
        [1, 45],
        [2, 35],
        [3, 15],
        [4, 5],
      ] as const);
      const kids: StudentDraft[] = [];
      const primaryRelation = rng.weighted([
        ["father", 65],
        ["mother", 30],
        ["other", 5],
      ] as const);
      const primary = this.guardian(family, primaryRelation);
      guardianDrafts.push(primary);
      if (primaryRelation !== "other" && rng.chance(0.3)) {
        guardianDrafts.push(this.guardian(family, primaryRelation === "father" ? "mother" : "father"));
      }
      for (let k = 0; k < children && slots.length > 0; k++) {
        const gradeIndex = slots.pop()!;
        const sections = sectionsOfGrade[gradeIndex]!;
        const section = sections[seatsTaken[gradeIndex]!++ % sections.length]!;
        kids.push(this.student(family, grades[gradeIndex]!, section, primary));
      }
      studentDrafts.push(...kids);
      // A family registers shortly before its first child is enrolled.
      const firstEnrolment = Math.min(...kids.map((kid) => kid.createdMs));
      for (const guardian of guardianDrafts.slice(-2)) {
        if (guardian.createdMs === 0) guardian.createdMs = firstEnrolment - rng.int(10, 90) * 60_000;
      }
    }

    // Ids follow creation order, as an auto-increment column would.
    const guardians = guardianDrafts
      .sort((a, b) => a.createdMs - b.createdMs)
      .map((draft) => {
        draft.id = allocate("guardians");
        return record(draft.id, draft.fields, draft.createdMs, this.touched(draft.createdMs), stamp);
      });
    const students = studentDrafts
      .sort((a, b) => a.createdMs - b.createdMs)
      .map((draft) =>
        record(
          allocate("students"),
          { ...draft.fields, guardian_id: draft.guardian.id },
          draft.createdMs,
          this.touched(draft.createdMs),
          stamp,
        ),
      );
    return { students, guardians };
  }

  staff(allocate: IdAllocator, stamp: (ms: number) => string): StoredRecord[] {
    const { rng, profile } = this;
    const titles: string[] = [];
    for (const [title, count] of STAFF) {
      for (let i = 0; i < count && titles.length < profile.employees; i++) titles.push(title);
    }
    const drafts = titles.map((job_title) => {
      const origin = rng.weighted(profile.origins);
      const pool = NAMES[origin];
      const male = rng.chance(0.45);
      const first = rng.pick(male ? pool.male : pool.female);
      const family = rng.pick(pool.family);
      const hiredMs = Date.UTC(rng.int(2012, 2026), 6, rng.int(1, 40), rng.int(5, 12), rng.int(0, 59));
      return {
        createdMs: Math.min(hiredMs, AS_OF - 20 * DAY_MS),
        fields: {
          full_name: `${first} ${family}`,
          job_title,
          email: this.uniqueEmail(`${slug(first)}.${slug(family)}`, profile.school.domain),
        },
      };
    });
    return drafts
      .sort((a, b) => a.createdMs - b.createdMs)
      .map((d) => record(allocate("employees"), d.fields, d.createdMs, this.touched(d.createdMs), stamp));
  }

  private family(): Family {
    const { rng } = this;
    const origin = rng.weighted(this.profile.origins);
    const pool = NAMES[origin];
    const family = rng.pick(pool.family);
    return {
      origin,
      pool,
      family,
      father: rng.pick(pool.male),
      mother: rng.pick(pool.female),
      // Arab women keep their own family name after marriage.
      motherFamily: pool.patronymic ? rng.pick(pool.family) : family,
    };
  }

  private guardian(family: Family, relation: "father" | "mother" | "other"): GuardianDraft {
    const { rng } = this;
    const [first, last] =
      relation === "father"
        ? [family.father, family.family]
        : relation === "mother"
          ? [family.mother, family.motherFamily]
          : [rng.pick(family.pool.male), family.family];
    return {
      createdMs: 0,
      fields: {
        full_name: `${first} ${last}`,
        phone: this.uniquePhone(),
        // Not every parent gives the school an email address.
        email: rng.chance(0.88)
          ? this.uniqueEmail(`${slug(first)}.${slug(last)}`, rng.pick(EMAIL_DOMAINS))
          : null,
        relation,
      },
    };
  }

  private student(
    family: Family,
    grade: StoredRecord,
    section: StoredRecord,
    guardian: GuardianDraft,
  ): StudentDraft {
    const { rng } = this;
    const level = grade.level as number;
    const gender = rng.chance(0.5) ? "male" : "female";
    const first = rng.pick(gender === "male" ? family.pool.male : family.pool.female);
    const full_name = family.pool.patronymic
      ? `${first} ${family.father} ${family.family}`
      : `${first} ${family.family}`;
    // Grade 1 in 2026-2027 means born between Sep 2019 and Aug 2020; a few repeat a year.
    const cohortStart =
      Date.UTC(CURRENT_YEAR_START - 6 - level, 8, 1) - (rng.chance(0.03) ? 365 * DAY_MS : 0);
    const birthMs = cohortStart + rng.int(0, 364) * DAY_MS;
    // Joined the school in grade 1 or later, in the weeks before a year started.
    const joinedYear = CURRENT_YEAR_START - rng.int(0, Math.min(level - 1, 6));
    const createdMs = Date.UTC(joinedYear, 7, rng.int(5, 35), rng.int(5, 12), rng.int(0, 59), rng.int(0, 59));
    return {
      guardian,
      createdMs,
      fields: {
        full_name,
        national_id: this.uniqueNationalId(family.origin, new Date(birthMs).getUTCFullYear()),
        birth_date: dateOnly(birthMs),
        gender,
        grade_id: grade.id,
        section_id: section.id,
      },
    };
  }

  /** Most records were edited at some point after creation, never after the as-of moment. */
  private touched(createdMs: number): number {
    const { rng } = this;
    if (createdMs >= AS_OF || rng.chance(0.4)) return createdMs;
    // Some day in between, during office hours (07:00-16:59 at +03:00).
    const day = Math.floor((createdMs + rng.next() * (AS_OF - createdMs)) / DAY_MS) * DAY_MS;
    const updated = day + rng.int(4, 13) * 3_600_000 + rng.int(0, 3599) * 1000;
    return Math.min(Math.max(updated, createdMs), AS_OF);
  }

  private uniquePhone(): string {
    for (;;) {
      const phone = this.profile.phone(this.rng);
      if (!this.phones.has(phone)) {
        this.phones.add(phone);
        return phone;
      }
    }
  }

  private uniqueEmail(local: string, domain: string): string {
    for (let n = 1; ; n++) {
      const email = `${local}${n === 1 ? "" : n}@${domain}`;
      if (!this.emails.has(email)) {
        this.emails.add(email);
        return email;
      }
    }
  }

  private uniqueNationalId(origin: Origin, birthYear: number): string {
    for (;;) {
      const id = this.profile.nationalId(this.rng, origin, birthYear);
      if (!this.nationalIds.has(id)) {
        this.nationalIds.add(id);
        return id;
      }
    }
  }
}

function record(
  id: number,
  fields: Record<string, unknown>,
  createdMs: number,
  updatedMs: number,
  stamp: (ms: number) => string,
): StoredRecord {
  return { id, ...fields, created_at: stamp(createdMs), updated_at: stamp(updatedMs) };
}

function shuffle<T>(rng: Random, items: T[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}
