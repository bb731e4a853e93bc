// Numbers as HCL has them: binary floating point with a 512-bit mantissa, rounded to nearest even
// (cty's big.Float), so `0.1 + 0.2` is 0.3 and large integers stay exact. Printing gives the
// shortest decimal that reads back as the same number, as HCL prints its values.
const PREC = 512;
const MAX_EXP10 = 100_000;

type Finite = { neg: boolean; mant: bigint; exp: number }; // mant × 2^exp, mant > 0, ≤ PREC bits

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** m × 2^e rounded to PREC bits, half to even. */
function round(neg: boolean, m: bigint, e: number, sticky = false): Finite | 0 {
  if (m === 0n) return 0;
  const extra = bitLength(m) - PREC;
  if (extra > 0) {
    const half = 1n << BigInt(extra - 1);
    const rest = m & ((1n << BigInt(extra)) - 1n);
    m >>= BigInt(extra);
    e += extra;
    if (rest > half || (rest === half && (sticky || (m & 1n) === 1n))) m += 1n;
  }
  while ((m & 1n) === 0n) {
    m >>= 1n;
    e += 1;
  }
  return { neg, mant: m, exp: e };
}

/** num/den (both > 0) rounded to PREC bits. */
function roundQuotient(neg: boolean, num: bigint, den: bigint): Finite | 0 {
  const shift = PREC + 2 - (bitLength(num) - bitLength(den));
  const scaled = shift >= 0 ? num << BigInt(shift) : num;
  const d = shift >= 0 ? den : den << BigInt(-shift);
  const q = scaled / d;
  const r = scaled % d;
  // The quotient has PREC+2 or PREC+3 bits: a sticky remainder is enough for correct rounding.
  return round(neg, (q << 1n) | (r === 0n ? 0n : 1n), -shift - 1);
}

export class HclNumber {
  /** `negative` is the sign of an infinity or a zero (big.Float has -0, and HCL prints it). */
  private constructor(
    private readonly f: Finite | 0 | 'inf',
    private readonly negative = false,
  ) {}

  static readonly ZERO = new HclNumber(0);

  static infinity(negative = false): HclNumber {
    return new HclNumber('inf', negative);
  }

  static parse(text: string): HclNumber | undefined {
    const m = /^([+-]?)([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/.exec(text);
    if (!m) return undefined;
    const digits = BigInt(m[2] + (m[3] ?? ''));
    const exp10 = Number(m[4] ?? 0) - (m[3]?.length ?? 0);
    const neg = m[1] === '-';
    // Beyond this the powers of ten take seconds to build; no configuration means such a number.
    if (digits !== 0n && Math.abs(exp10) > MAX_EXP10)
      return exp10 > 0 ? HclNumber.infinity(neg) : new HclNumber(0, neg);
    if (exp10 >= 0) return new HclNumber(round(neg, digits * 10n ** BigInt(exp10), 0));
    return new HclNumber(roundQuotient(neg, digits, 10n ** BigInt(-exp10)));
  }

  static of(n: number): HclNumber {
    if (n === Infinity || n === -Infinity) return new HclNumber('inf', n < 0);
    if (!Number.isFinite(n)) throw new RangeError(`not a number: ${n}`);
    if (n === 0) return HclNumber.ZERO;
    if (Number.isInteger(n)) return new HclNumber(round(n < 0, BigInt(Math.abs(n)), 0));
    // Doubles are exact binary fractions: scale to an integer mantissa without rounding.
    let e = 0;
    let a = Math.abs(n);
    while (!Number.isInteger(a)) {
      a *= 2;
      e -= 1;
    }
    return new HclNumber(round(n < 0, BigInt(a), e));
  }

  get isInfinite(): boolean {
    return this.f === 'inf';
  }

  get isZero(): boolean {
    return this.f === 0;
  }

  get isInteger(): boolean {
    return this.f !== 'inf' && (this.f === 0 || this.f.exp >= 0);
  }

  /** The sign bit, zeros and infinities included. */
  private sign0(): boolean {
    return this.f === 'inf' || this.f === 0 ? this.negative : this.f.neg;
  }

  private get sign(): number {
    if (this.f === 'inf') return this.negative ? -1 : 1;
    if (this.f === 0) return 0;
    return this.f.neg ? -1 : 1;
  }

  neg(): HclNumber {
    if (this.f === 'inf' || this.f === 0) return new HclNumber(this.f, !this.negative);
    return new HclNumber({ ...this.f, neg: !this.f.neg });
  }

  add(o: HclNumber): HclNumber {
    if (this.f === 'inf' || o.f === 'inf') {
      if (this.f === 'inf' && o.f === 'inf' && this.negative !== o.negative)
        throw new RangeError('infinity minus infinity');
      return this.f === 'inf' ? this : o;
    }
    if (this.f === 0 && o.f === 0) return new HclNumber(0, this.negative && o.negative);
    if (this.f === 0) return o;
    if (o.f === 0) return this;
    const e = Math.min(this.f.exp, o.f.exp);
    const a = (this.f.neg ? -1n : 1n) * (this.f.mant << BigInt(this.f.exp - e));
    const b = (o.f.neg ? -1n : 1n) * (o.f.mant << BigInt(o.f.exp - e));
    const s = a + b;
    return new HclNumber(round(s < 0n, s < 0n ? -s : s, e));
  }

  sub(o: HclNumber): HclNumber {
    return this.add(o.neg());
  }

  mul(o: HclNumber): HclNumber {
    const neg = this.sign * o.sign < 0;
    if (this.f === 'inf' || o.f === 'inf') {
      if (this.f === 0 || o.f === 0) throw new RangeError('zero times infinity');
      return new HclNumber('inf', neg);
    }
    if (this.f === 0 || o.f === 0) return new HclNumber(0, this.sign0() !== o.sign0());
    return new HclNumber(round(neg, this.f.mant * o.f.mant, this.f.exp + o.f.exp));
  }

  div(o: HclNumber): HclNumber {
    const neg = this.sign * o.sign < 0 || (o.f === 0 && this.sign < 0);
    if (this.f === 'inf') {
      if (o.f === 'inf') throw new RangeError('infinity divided by infinity');
      return new HclNumber('inf', neg);
    }
    if (o.f === 'inf') return HclNumber.ZERO;
    if (o.f === 0) {
      if (this.f === 0) throw new RangeError('zero divided by zero');
      return new HclNumber('inf', neg); // cty's division: x/0 is an infinity
    }
    if (this.f === 0) return HclNumber.ZERO;
    const e = this.f.exp - o.f.exp;
    const num = e >= 0 ? this.f.mant << BigInt(e) : this.f.mant;
    const den = e >= 0 ? o.f.mant : o.f.mant << BigInt(-e);
    return new HclNumber(roundQuotient(neg, num, den));
  }

  /** cty's remainder: a - b × trunc(a / b) with each step rounded; a % 0 is a. */
  mod(o: HclNumber): HclNumber {
    if (this.f === 'inf' || o.f === 'inf') return this.mul(o);
    if (o.f === 0) return this;
    return this.sub(o.mul(this.div(o).trunc()));
  }

  trunc(): HclNumber {
    if (this.f === 'inf' || this.f === 0 || this.f.exp >= 0) return this;
    const m = this.f.mant >> BigInt(-this.f.exp);
    return new HclNumber(round(this.f.neg, m, 0));
  }

  cmp(o: HclNumber): number {
    const d = this.sub(o);
    return d.sign;
  }

  equals(o: HclNumber): boolean {
    if (this.f === 'inf' || o.f === 'inf') return this.f === o.f && this.negative === o.negative;
    if (this.f === 0 && o.f === 0) return true;
    return this.cmp(o) === 0;
  }

  /** The nearest double: what JSON Schema checks and the typed configuration hold. */
  toNumber(): number {
    if (this.f === 'inf') return this.negative ? -Infinity : Infinity;
    if (this.f === 0) return 0;
    return Number(this.toString());
  }

  /** The shortest decimal that reads back as this number, without an exponent (like HCL). */
  toString(): string {
    if (this.f === 'inf') return this.negative ? '-Inf' : '+Inf';
    if (this.f === 0) return this.negative ? '-0' : '0';
    const { neg, mant, exp } = this.f;
    // mant × 2^exp with mant scaled to PREC+1 bits, so one unit is half an ulp.
    const s = PREC + 1 - bitLength(mant);
    const m = mant << BigInt(s);
    const e = exp - s;
    const d = exactDecimal(m, e);
    const lower = exactDecimal(m - 1n, e);
    const upper = exactDecimal(m + 1n, e);
    const inclusive = (m & 2n) === 0n;
    const short = shortest(d, lower, upper, inclusive);
    return (neg ? '-' : '') + formatFixed(short);
  }

  toJSON(): number {
    return this.toNumber();
  }
}

/** digits × 10^(point - digits.length), digits without leading or trailing zeros. */
interface Decimal {
  digits: string;
  point: number;
}

function exactDecimal(m: bigint, e: number): Decimal {
  let text: string;
  let point: number;
  if (e >= 0) {
    text = (m << BigInt(e)).toString();
    point = text.length;
  } else {
    // m / 2^k = m × 5^k / 10^k
    text = (m * 5n ** BigInt(-e)).toString();
    point = text.length + e;
  }
  const trimmed = text.replace(/0+$/, '');
  return { digits: trimmed, point };
}

function at(d: Decimal, i: number): number {
  return i < d.digits.length ? d.digits.charCodeAt(i) - 48 : 0;
}

// The decimal walk of Go's big.Float shortest formatting: stop at the first digit where x can be
// told apart from both neighbours' halfway points.
function shortest(d: Decimal, lower: Decimal, upper: Decimal, inclusive: boolean): Decimal {
  for (let i = 0; i < d.digits.length; i++) {
    const l = at(lower, i);
    const m = at(d, i);
    const u = at(upper, i);
    const okDown = l !== m || (inclusive && i + 1 === lower.digits.length);
    const okUp = m !== u && (inclusive || m + 1 < u || i + 1 < upper.digits.length);
    if (okDown && okUp) return roundAt(d, i + 1, roundsUp(d, i + 1));
    if (okDown) return roundAt(d, i + 1, false);
    if (okUp) return roundAt(d, i + 1, true);
  }
  return d;
}

function roundsUp(d: Decimal, n: number): boolean {
  const next = at(d, n);
  if (next === 5 && n + 1 === d.digits.length) return n > 0 && at(d, n - 1) % 2 === 1;
  return next >= 5;
}

function roundAt(d: Decimal, n: number, up: boolean): Decimal {
  if (n >= d.digits.length) return d;
  let digits = d.digits.slice(0, n);
  let point = d.point;
  if (up) {
    let i = n - 1;
    while (i >= 0 && digits[i] === '9') i--;
    if (i < 0) {
      digits = '1';
      point += 1;
    } else digits = digits.slice(0, i) + String.fromCharCode(digits.charCodeAt(i) + 1);
  }
  return { digits: digits.replace(/0+$/, ''), point };
}

function formatFixed(d: Decimal): string {
  const { digits, point } = d;
  if (point <= 0) return `0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return digits + '0'.repeat(point - digits.length);
  return `${digits.slice(0, point)}.${digits.slice(point)}`;
}
