import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkContainerNumber, iso6346CheckDigit, isValidContainerNumber, makeContainerNumber } from '../../src/model/iso6346.js';

describe('ISO 6346', () => {
  it('accepts the WIRE examples', () => {
    for (const n of ['CSQU3054383', 'MSCU1234566', 'TGHU7654320']) expect(isValidContainerNumber(n), n).toBe(true);
  });
  it('rejects a wrong check digit and says so', () => {
    expect(checkContainerNumber('CSQU3054384')).toBe('check-digit');
    expect(checkContainerNumber('MSCU1234567')).toBe('check-digit');
  });
  it('rejects wrong shapes', () => {
    for (const n of ['CSQX3054383', 'CSQU305438', 'csqu3054383', 'CSQU30543833', '', '1234U305438']) expect(checkContainerNumber(n), n).toBe('shape');
  });
  it('check digit 10 maps to 0 (the standard remainder rule)', () => {
    // Brute-force a serial whose remainder is 10 and check the digit is 0.
    let found = false;
    for (let s = 0; s < 2000 && !found; s++) {
      const first10 = 'ABCU' + String(s).padStart(6, '0');
      let sum = 0;
      const letters: Record<string, number> = { A: 10, B: 12, C: 13, U: 32 };
      for (let i = 0; i < 10; i++) sum += (i < 4 ? letters[first10[i]!]! : Number(first10[i])) * 2 ** i;
      if (sum % 11 === 10) {
        expect(iso6346CheckDigit(first10)).toBe(0);
        found = true;
      }
    }
    expect(found).toBe(true);
  });
  it('every made number is valid, and changing its last digit makes it invalid', () => {
    fc.assert(
      fc.property(fc.constantFrom('MSCU', 'MAEU', 'TGHU', 'CMAJ', 'HLXZ'), fc.integer({ min: 0, max: 999999 }), fc.integer({ min: 1, max: 9 }), (prefix, serial, bump) => {
        const n = makeContainerNumber(prefix, serial);
        expect(isValidContainerNumber(n)).toBe(true);
        const wrong = n.slice(0, 10) + String((Number(n[10]) + bump) % 10);
        expect(isValidContainerNumber(wrong)).toBe(false);
      }),
    );
  });
});
