import { describe, expect, it } from 'vitest';
import { growthPoints, growthSvg, sizeLabel } from '../../bench/lib/plot.mjs';

// The engine's growth curve (bench/lib/plot.mjs): a well-formed SVG with one
// point per measured size in each panel, labelled with the input figures.

/** Throws unless `xml` is one well-formed element (tags nested and closed, attributes quoted and unique, & and < escaped). */
function checkWellFormed(xml: string): { root: string; elements: number } {
  const stack: string[] = [];
  let root = '';
  let elements = 0;
  let i = 0;
  const text = (s: string) => {
    if (s.includes('<')) throw new Error(`unescaped < in ${JSON.stringify(s)}`);
    for (const m of s.matchAll(/&([^;\s]*);?/g)) if (!/^&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);$/i.test(m[0])) throw new Error(`bad entity ${m[0]}`);
  };
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const chunk = xml.slice(i, lt === -1 ? xml.length : lt);
    if (stack.length === 0 && chunk.trim() !== '') throw new Error(`text outside the root: ${JSON.stringify(chunk.trim())}`);
    text(chunk);
    if (lt === -1) break;
    const gt = xml.indexOf('>', lt);
    if (gt === -1) throw new Error('unclosed tag');
    const tag = xml.slice(lt + 1, gt);
    i = gt + 1;
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const open = stack.pop();
      if (open !== name) throw new Error(`</${name}> closes <${open}>`);
      continue;
    }
    const selfClosing = tag.endsWith('/');
    const body = selfClosing ? tag.slice(0, -1) : tag;
    const m = /^([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_:][\w.:-]*="[^"]*")*)\s*$/.exec(body);
    if (!m) throw new Error(`malformed tag <${tag}>`);
    const names = [...m[2].matchAll(/([A-Za-z_:][\w.:-]*)="([^"]*)"/g)].map((a) => {
      text(a[2]);
      return a[1];
    });
    if (new Set(names).size !== names.length) throw new Error(`duplicate attribute in <${m[1]}>`);
    if (stack.length === 0) {
      if (root) throw new Error('more than one root element');
      root = m[1];
    }
    elements++;
    if (!selfClosing) stack.push(m[1]);
  }
  if (stack.length) throw new Error(`unclosed <${stack.join('>, <')}>`);
  if (!root) throw new Error('no element');
  return { root, elements };
}

const attr = (el: string, name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(el)?.[1];
const elements = (svg: string, re: RegExp) => [...svg.matchAll(re)].map((m) => m[0]);

const POINTS = [
  { containers: 10_000, eventsPerSec: 578_467.4, eventsMin: 498_000, eventsMax: 640_000, baselineEventsPerSec: 9_139_580, bytesPerContainer: 4_153.2, historyHours: 27, fullHistory: true },
  { containers: 1_000_000, eventsPerSec: 301_112.6, eventsMin: 250_000, eventsMax: 330_000, baselineEventsPerSec: 2_000_000, bytesPerContainer: 2_961.9, historyHours: 6, fullHistory: false },
  { containers: 100_000, eventsPerSec: 518_598, eventsMin: 410_000, eventsMax: 560_000, baselineEventsPerSec: 5_521_068, bytesPerContainer: 3_399, historyHours: 27, fullHistory: true },
  { containers: 100_000, eventsPerSec: 612_000, baselineEventsPerSec: 5_513_514, bytesPerContainer: 2_875, historyHours: 6, fullHistory: false },
];

describe('growth curve SVG (bench/lib/plot.mjs)', () => {
  it('the well-formedness check itself rejects broken markup', () => {
    expect(() => checkWellFormed('<svg><g></svg>')).toThrow(/closes/);
    expect(() => checkWellFormed('<svg><text>a < b</text></svg>')).toThrow();
    expect(() => checkWellFormed('<svg><text>R&D</text></svg>')).toThrow(/entity/);
    expect(() => checkWellFormed('<svg a="1" a="2"/>')).toThrow(/duplicate/);
    expect(() => checkWellFormed('<svg x=1/>')).toThrow(/malformed/);
    expect(() => checkWellFormed('<svg/><svg/>')).toThrow(/root/);
    expect(checkWellFormed('<svg xmlns="http://www.w3.org/2000/svg"><text>a &amp; b</text></svg>')).toEqual({ root: 'svg', elements: 2 });
  });

  it('is one well-formed <svg> with one point per measured size in each panel, labelled with the input figures', () => {
    const svg = growthSvg({ points: POINTS, subtitle: 'run <1> & "two"' });
    expect(checkWellFormed(svg).root).toBe('svg');
    expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(svg).toContain('run &lt;1&gt; &amp; &quot;two&quot;');
    expect(svg).toMatch(/events\/s\/core/);
    expect(svg).toMatch(/bytes\/container/);
    expect(svg).toContain('containers (log scale)');

    for (const kind of ['events', 'bytes']) {
      const points = elements(svg, new RegExp(`<circle class="point ${kind}"[^>]*>`, 'g')).map((p) => ({
        n: Number(attr(p, 'data-containers')),
        series: attr(p, 'data-series'),
        cx: Number(attr(p, 'cx')),
        cy: Number(attr(p, 'cy')),
        v: Number(attr(p, 'data-value')),
        hollow: attr(p, 'fill') === 'white',
      }));
      expect(points.map((p) => `${p.n} ${p.series}`).sort()).toEqual(['10000 full history', '100000 full history', '100000 short history (6 h)', '1000000 short history (6 h)']);
      // the short-history points are hollow, the full ones filled
      for (const p of points) expect(p.hollow).toBe(p.series !== 'full history');
      // the value drawn is the input's
      for (const p of points) {
        const input = POINTS.find((q) => q.containers === p.n && q.fullHistory === (p.series === 'full history'))!;
        expect(p.v).toBe(kind === 'events' ? input.eventsPerSec : input.bytesPerContainer);
      }
      // log scale: 10k, 100k and 1M equally spaced, in order; one x per size whatever the series
      const cx = (n: number) => [...new Set(points.filter((p) => p.n === n).map((p) => p.cx))];
      expect(cx(100_000)).toHaveLength(1);
      expect(cx(10_000)[0]).toBeLessThan(cx(100_000)[0]);
      expect(cx(100_000)[0] - cx(10_000)[0]).toBeCloseTo(cx(1_000_000)[0] - cx(100_000)[0], 0);
      // a higher value sits higher (smaller y)
      const [hi, lo] = [...points].sort((a, b) => b.v - a.v);
      expect(hi.cy).toBeLessThan(lo.cy);
    }
    const labels = (kind: string) =>
      elements(svg, new RegExp(`<text class="label ${kind}"[^>]*>[^<]*</text>`, 'g'))
        .map((t) => `${attr(t, 'data-containers')}: ${t.replace(/<[^>]*>/g, '')}`)
        .sort();
    expect(labels('events')).toEqual(['1000000: 301,113 (0.151 of bare)', '100000: 518,598 (0.094 of bare)', '100000: 612,000 (0.111 of bare)', '10000: 578,467 (0.063 of bare)']);
    expect(labels('bytes')).toEqual(['1000000: 2,962', '100000: 2,875', '100000: 3,399', '10000: 4,153']);
    expect(svg).toContain('SHORT HISTORY, 6 h loaded');
    expect(svg).toContain("full history, every rule's window full (27 h loaded; 10k, 100k)");
    // one line per series, the short one dashed
    expect(elements(svg, /<polyline class="curve"[^>]*>/g).filter((l) => l.includes('stroke-dasharray'))).toHaveLength(2);
    // decade ticks
    for (const t of ['10k', '100k', '1M']) expect(svg).toContain(`>${t}</text>`);
  });

  it('follows the input: other sizes, other values, no short-history note when every history is full', () => {
    const svg = growthSvg({ points: [POINTS[0], { ...POINTS[2], containers: 200, bytesPerContainer: 12.5 }] });
    checkWellFormed(svg);
    expect(elements(svg, /<circle class="point bytes"[^>]*>/g).map((p) => attr(p, 'data-containers'))).toEqual(['200', '10000']);
    expect(svg).toContain('>12.5</text>');
    expect(svg).not.toContain('SHORT HISTORY');
    expect(svg).not.toContain('fill="white" stroke');
    expect(svg).not.toContain('stroke-dasharray');
  });

  it("names the GC share in a rate's label when it is given", () => {
    const svg = growthSvg({ points: [{ ...POINTS[0], gcShare: 0.284 }, POINTS[2]] });
    checkWellFormed(svg);
    expect(svg).toContain('>578,467 (0.063 of bare, GC 28 %)</text>');
    expect(svg).toContain('>518,598 (0.094 of bare)</text>');
  });

  it('refuses a missing or non-positive figure', () => {
    expect(() => growthSvg({ points: [] })).toThrow(/no points/);
    expect(() => growthSvg({ points: [{ ...POINTS[0], bytesPerContainer: Number.NaN }] })).toThrow(/bytesPerContainer/);
  });

  it('pairs the suite figures by container count', () => {
    const figures = [
      { bench: 'engine 10,000 containers', unit: 'events/s/core', value: 5, baseline: 50, spread: { min: 4, max: 6 }, containers: 10_000, loadHours: 27, fullHistory: true, gcShare: 0.25 },
      { bench: 'engine 10,000 heap (42 h)', unit: 'bytes/container', value: 4000, baseline: 70, spread: { min: 4000, max: 4000 }, containers: 10_000, loadHours: 27, fullHistory: true },
      { bench: 'engine plan with route (NLRTM-BRSSZ)', unit: 'bytes/plan', value: 192, baseline: 1344, spread: { min: 192, max: 192 } },
      { bench: 'engine 200 containers', unit: 'events/s/core', value: 7, baseline: 70, spread: { min: 6, max: 8 }, containers: 200, loadHours: 27, fullHistory: true },
    ];
    expect(growthPoints(figures)).toEqual([{ containers: 10_000, eventsPerSec: 5, eventsMin: 4, eventsMax: 6, baselineEventsPerSec: 50, gcShare: 0.25, bytesPerContainer: 4000, historyHours: 27, fullHistory: true }]);
    // the same size with two histories is two points
    const short = figures.slice(0, 2).map((f) => ({ ...f, loadHours: 6, fullHistory: false, value: f.value / 2 }));
    expect(growthPoints([...short, ...figures]).map((p) => [p.containers, p.historyHours, p.eventsPerSec])).toEqual([
      [10_000, 27, 5],
      [10_000, 6, 2.5],
    ]);
    expect(sizeLabel(1_000_000)).toBe('1M');
    expect(sizeLabel(50)).toBe('50');
  });
});
