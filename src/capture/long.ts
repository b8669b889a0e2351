import type Long from 'long';

/** protobufjs returns 64-bit fields as Long when the `long` package is present; convert to a double. */
export function toNumber(v: number | Long | { toNumber(): number } | null | undefined): number {
  if (v == null) return 0;
  if (typeof v === 'number') return v;
  return v.toNumber();
}
