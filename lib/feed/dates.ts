/**
 * Feed dates to ISO 8601 (UTC, `toISOString`). Feeds write RFC 822 (`Tue, 10 Jun 2003 04:00:00 EST`, also
 * 2-digit years, missing seconds or day name, full month names, `am`/`pm`, zones as names, offsets or
 * `GMT+2`, a trailing `(EDT)` comment or words after the zone), RFC 3339 /
 * ISO 8601 (with or without zone, fractions, basic `20240506T100000Z`), and W3C-DTF partial dates
 * (`2024`, `2024-05`). Parsing is explicit rather than `Date.parse`, whose leniency differs between
 * runtimes: the same feed must give the same dates under Deno and Bun.
 *
 * Rules: a date-time without a zone is taken as UTC (deterministic, unlike the host's local time); a
 * missing time is midnight UTC; 2-digit years 00-49 are 20xx and 50-99 19xx (RFC 5322 4.3); military zone
 * letters other than `Z` count as UTC, as RFC 5322 says, since RFC 822 defined their signs backwards;
 * an unknown zone name counts as UTC too.
 * Anything else, or an impossible date (31 April), gives undefined: never an exception.
 * @module
 */

/** Named zones feeds use, in minutes east of UTC. */
const ZONE_OFFSETS: Record<string, number> = {
  UT: 0,
  UTC: 0,
  GMT: 0,
  Z: 0,
  WET: 0,
  EST: -300,
  EDT: -240,
  CST: -360,
  CDT: -300,
  MST: -420,
  MDT: -360,
  PST: -480,
  PDT: -420,
  AST: -240,
  ADT: -180,
  AKST: -540,
  AKDT: -480,
  HST: -600,
  NST: -210,
  NDT: -150,
  BST: 60,
  CET: 60,
  CEST: 120,
  MET: 60,
  MEST: 120,
  WEST: 60,
  EET: 120,
  EEST: 180,
  MSK: 180,
  IST: 330,
  JST: 540,
  KST: 540,
  HKT: 480,
  SGT: 480,
  AWST: 480,
  ACST: 570,
  AEST: 600,
  AEDT: 660,
  NZST: 720,
  NZDT: 780,
};

const MONTHS: Record<string, number> = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  oct: 10,
  nov: 11,
  dec: 12,
};

/** A zone: numeric (`+0200`, `-05:00`, `GMT+2`, `UTC -0500`) or a name (`EST`, `CEST`, `Z`). */
const ZONE = String.raw`(?:GMT|UTC|UT)?\s*[+-]\d{1,2}(?::?\d{2})?|[A-Za-z]{1,5}`;
/** `4:00`, `04:00:00`, `04:00:00.5`, `4:00 pm`. */
const TIME = String.raw`(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:\s*([AaPp])\.?[Mm]\.?)?`;
/** After the zone: a comment `(EDT)` or words after a separator, ignored (`GMT blah`, `+0000, updated`). */
const TRAILER = String.raw`(?:\s*\(.*\)|[\s,;]+.*)?`;
const RFC822 = new RegExp(
  String
    .raw`^(?:[A-Za-z]+\.?(?:,\s*|\s+))?(\d{1,2})[\s-]+([A-Za-z]{3,9})\.?[\s-]+(\d{2,4})(?:[\sT,]+${TIME})?\s*(${ZONE})?${TRAILER}$`,
);
/** Month-first variant some generators emit: `Tue, Jun 10 2003 04:00:00 GMT`, `Jun 10, 2003 4:00 PM`. */
const MONTH_FIRST = new RegExp(
  String
    .raw`^(?:[A-Za-z]+(?:,\s*|\s+))?([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})(?:,?\s+${TIME})?\s*(${ZONE})?${TRAILER}$`,
);
const ISO =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[Tt\s]+(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?)?)?\s*(Z|z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/;
const ISO_BASIC = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})?(?:[.,](\d+))?)?(Z|[+-]\d{2}(?:\d{2})?)?$/;

/**
 * Parses a feed date into an ISO 8601 UTC string, or undefined when it is missing or not a date.
 *
 * @param value the date as the feed wrote it
 * @returns e.g. `2003-06-10T09:00:00.000Z`, or undefined
 * @example
 * ```ts
 * import { parseFeedDate } from "./dates.ts";
 * parseFeedDate("Tue, 10 Jun 2003 04:00:00 EST"); // "2003-06-10T09:00:00.000Z"
 * parseFeedDate("2024-05"); // "2024-05-01T00:00:00.000Z"
 * parseFeedDate("soon"); // undefined
 * ```
 */
export function parseFeedDate(value: string | undefined | null): string | undefined {
  if (typeof value !== "string") return undefined;
  const text = value.trim().replace(/\s+/g, " ");
  if (text === "") return undefined;
  let m = ISO.exec(text) ?? ISO_BASIC.exec(text);
  if (m) {
    return build(+m[1], m[2] ? +m[2] : 1, m[3] ? +m[3] : 1, m[4], m[5], m[6], m[7], m[8]);
  }
  m = RFC822.exec(text);
  if (m) {
    const month = monthNumber(m[2]);
    if (month === undefined) return undefined;
    return build(fullYear(m[3]), month, +m[1], hour24(m[4], m[7]), m[5], m[6], undefined, m[8]);
  }
  m = MONTH_FIRST.exec(text);
  if (m) {
    const month = monthNumber(m[1]);
    if (month === undefined) return undefined;
    return build(+m[3], month, +m[2], hour24(m[4], m[7]), m[5], m[6], undefined, m[8]);
  }
  return undefined;
}

/** The hour on a 24-hour clock: `4` with `p` (pm) is 16, `12` with `a` (am) is 0; undefined if not in 1-12. */
function hour24(hour: string | undefined, meridiem: string | undefined): string | undefined {
  if (hour === undefined || meridiem === undefined) return hour;
  const h = +hour;
  if (h < 1 || h > 12) return "99";
  return String((h % 12) + (meridiem.toLowerCase() === "p" ? 12 : 0));
}

function monthNumber(name: string): number | undefined {
  return MONTHS[name.slice(0, 3).toLowerCase()];
}

function fullYear(digits: string): number {
  const year = +digits;
  if (digits.length === 2) return year < 50 ? 2000 + year : 1900 + year;
  if (digits.length === 3) return 1900 + year;
  return year;
}

/** Minutes east of UTC for a zone as written; an unknown name counts as UTC (a date hours off beats none). */
function zoneOffset(zone: string | undefined): number {
  if (zone === undefined) return 0;
  const signed = signedZone(zone);
  if (signed !== undefined) return signed;
  const numeric = /^(?:GMT|UTC|UT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$/i.exec(zone);
  if (numeric) {
    const minutes = +numeric[2] * 60 + +(numeric[3] ?? 0);
    return numeric[1] === "-" ? -minutes : minutes;
  }
  const upper = zone.toUpperCase();
  return Object.hasOwn(ZONE_OFFSETS, upper) ? ZONE_OFFSETS[upper] : 0;
}

/**
 * `+hhmm` or `+hh:mm` (the zones nearly every date has), read without a regex's match array; undefined
 * for any other form.
 */
function signedZone(zone: string): number | undefined {
  const sign = zone.charCodeAt(0);
  if ((sign !== 43 && sign !== 45) || (zone.length !== 5 && zone.length !== 6)) return undefined;
  const colon = zone.length === 6;
  if (colon && zone.charCodeAt(3) !== 58) return undefined;
  const h1 = zone.charCodeAt(1) - 48;
  const h2 = zone.charCodeAt(2) - 48;
  const m1 = zone.charCodeAt(colon ? 4 : 3) - 48;
  const m2 = zone.charCodeAt(colon ? 5 : 4) - 48;
  if (!(isDigit(h1) && isDigit(h2) && isDigit(m1) && isDigit(m2))) return undefined;
  const minutes = (h1 * 10 + h2) * 60 + m1 * 10 + m2;
  return sign === 45 ? -minutes : minutes;
}

function isDigit(d: number): boolean {
  return d >= 0 && d <= 9;
}

function build(
  year: number,
  month: number,
  day: number,
  hour?: string,
  minute?: string,
  second?: string,
  fraction?: string,
  zone?: string,
): string | undefined {
  const h = hour === undefined ? 0 : +hour;
  const min = minute === undefined ? 0 : +minute;
  // A leap second (":60") is kept as the last second of the minute rather than rejected.
  const s = second === undefined ? 0 : Math.min(+second, 59);
  const ms = fraction === undefined ? 0 : Math.round(+`0.${fraction}` * 1000);
  const offset = zoneOffset(zone);
  if (year < 1 || year > 9999 || month < 1 || month > 12 || h > 24 || min > 59) {
    return undefined;
  }
  // Date.UTC would roll 31 April over to 1 May: reject instead of guessing.
  if (day < 1 || day > daysInMonth(year, month)) return undefined;
  if (h === 24 && (min > 0 || s > 0 || ms > 0)) return undefined;
  const utc = Date.UTC(year, month - 1, day, h, min, s, Math.min(ms, 999));
  if (year >= 100) return isoString(utc - offset * 60_000);
  const date = new Date(utc);
  date.setUTCFullYear(year);
  return new Date(date.getTime() - offset * 60_000).toISOString();
}

const DAY_MS = 86_400_000;

/**
 * `Date.prototype.toISOString` of a time in years 0-9999, written out here: two `Date` objects and
 * `toISOString` made up half the time of reading a feed's dates. The civil date of a day number is Howard
 * Hinnant's `civil_from_days`.
 */
function isoString(time: number): string {
  const days = Math.floor(time / DAY_MS);
  let rest = time - days * DAY_MS;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shifted = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * shifted + 2) / 5) + 1;
  const month = shifted < 10 ? shifted + 3 : shifted - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  if (!(year >= 0 && year <= 9999)) return new Date(time).toISOString();
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  const milli = rest - second * 1000;
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hour, 2)}:${pad(minute, 2)}:${
    pad(second, 2)
  }.${pad(milli, 3)}Z`;
}

function pad(n: number, width: number): string {
  const digits = String(n);
  return digits.length >= width ? digits : "0000".slice(0, width - digits.length) + digits;
}

const DAYS_IN_MONTH = [31, 0, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  if (month !== 2) return DAYS_IN_MONTH[month - 1];
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
}
