// An independent JavaScript reading of docs/canonical-model.md, so the fidelity tests check
// the simulator's ground-truth digests instead of trusting them.
import { createHash } from 'node:crypto';

const blank = (v) => v === null || v === undefined || (typeof v === 'string' && v.trim() === '');

export function text(v) {
  if (blank(v)) return null;
  return typeof v === 'string' ? v : String(v);
}

export function truncated(v, max = 255) {
  const t = text(v);
  return t === null ? null : Array.from(t).slice(0, max).join('');
}

// Returns {value, invalid}.
export function numeric(v) {
  if (blank(v)) return { value: null, invalid: false };
  const s = typeof v === 'number' ? String(v) : String(v).trim();
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return { value: null, invalid: true };
  let integer = m[2].replace(/^0+/, '') || '0';
  const fraction = (m[3] ?? '').replace(/0+$/, '');
  const negative = m[1] === '-' && !(integer === '0' && fraction === '');
  return { value: (negative ? '-' : '') + integer + (fraction ? '.' + fraction : ''), invalid: false };
}

export function date(v) {
  if (blank(v)) return null;
  const s = String(v).trim();
  if (/^\d{1,16}$/.test(s)) return new Date(Number(s)).toISOString().slice(0, 10);
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|z|[+-]\d{2}:?\d{2})?)?$/.exec(s);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const check = new Date(Date.UTC(y, mo - 1, d));
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return null;
  if (m[4] === undefined) return s.slice(0, 10);
  if (Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6] ?? 0) > 59) return null;
  let ms = Date.UTC(y, mo - 1, d, Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
  const zone = m[8];
  if (zone && zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '+' ? 1 : -1;
    const digits = zone.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60000;
  }
  return new Date(ms).toISOString().slice(0, 10);
}

export function digest(fields) {
  const joined = fields.map((f) => (f === null ? '\\N' : f)).join('\x1f');
  return createHash('sha256').update(joined, 'utf8').digest('hex');
}
