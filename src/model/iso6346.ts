/**
 * ISO 6346 container numbers: owner code (3 letters), category (U, J or Z),
 * 6-digit serial and a check digit computed over the first ten characters.
 */
const LETTER_VALUES: Record<string, number> = (() => {
  // Letters take the values 10..38, skipping multiples of 11 (11, 22, 33).
  const out: Record<string, number> = {};
  let v = 10;
  for (let c = 65; c <= 90; c++) {
    if (v % 11 === 0) v++;
    out[String.fromCharCode(c)] = v++;
  }
  return out;
})();

const SHAPE = /^[A-Z]{3}[UJZ][0-9]{7}$/;

export function iso6346CheckDigit(first10: string): number {
  let sum = 0;
  for (let i = 0; i < 10; i++) {
    const ch = first10[i]!;
    const value = i < 4 ? LETTER_VALUES[ch]! : ch.charCodeAt(0) - 48;
    sum += value * 2 ** i;
  }
  return (sum % 11) % 10;
}

export type ContainerNumberProblem = 'shape' | 'check-digit';

/** Returns null when valid, otherwise what is wrong with it. */
export function checkContainerNumber(value: string): ContainerNumberProblem | null {
  if (!SHAPE.test(value)) return 'shape';
  return iso6346CheckDigit(value) === value.charCodeAt(10) - 48 ? null : 'check-digit';
}

export function isValidContainerNumber(value: string): boolean {
  return checkContainerNumber(value) === null;
}

/** Builds a valid number from an owner code + category (4 letters) and a serial. */
export function makeContainerNumber(prefix: string, serial: number): string {
  const first10 = prefix + String(serial).padStart(6, '0');
  return first10 + String(iso6346CheckDigit(first10));
}
