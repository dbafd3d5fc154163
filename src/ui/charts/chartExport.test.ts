import { describe, expect, it } from 'vitest';
import { escapeXml, glyphMarkup, legendLayout, markerPath, standaloneSvg } from './chartExport';
import type { LegendItem } from './series';

const item = (label: string, glyph: LegendItem['glyph'], color = '#123456'): LegendItem => ({ key: label, label, glyph, color });

describe('standaloneSvg', () => {
  it('puts the title on top, the plot at its size and the legend below, and escapes text', () => {
    const svg = standaloneSvg('<path d="M0 0"/>', 400, 200, 'Loss <train>', [item('a & b', 'line', '#f00'), item('test', 'dashed', '#00f')]);
    const [, w, h] = /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="(\d+)" height="(\d+)"/.exec(svg) ?? [];
    expect(Number(w)).toBe(400);
    // Header 26, plot 200, 6 px, one legend row of 18 and 4 px.
    expect(Number(h)).toBe(26 + 200 + 6 + 18 + 4);
    expect(svg).toContain('Loss &lt;train&gt;');
    expect(svg).toContain('a &amp; b');
    expect(svg).toContain('<svg x="0" y="26" width="400" height="200" viewBox="0 0 400 200" overflow="hidden"><path d="M0 0"/></svg>');
    expect(svg.endsWith('</svg>')).toBe(true);
  });

  it('wraps a long legend into rows within the width, never one row per entry of a short legend', () => {
    const many = Array.from({ length: 12 }, (_, i) => item(`B-MM concat fast seed ${i}`, 'line'));
    const { at, rows } = legendLayout(many, 600);
    expect(rows).toBeGreaterThan(1);
    expect(rows).toBeLessThan(12);
    for (const [x] of at) expect(x).toBeLessThan(600);
    expect(legendLayout([item('train', 'line'), item('test', 'dashed'), item('per batch', 'thin')], 400).rows).toBe(1);
  });

  it('escapes all XML specials', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
  });
});

describe('legend glyphs', () => {
  it('a dashed line has a glyph of its own (dashes), distinct from the solid and the per-batch line', () => {
    const solid = glyphMarkup(item('train', 'line'));
    const dashed = glyphMarkup(item('test', 'dashed'));
    const thin = glyphMarkup(item('batch', 'thin'));
    expect(dashed).toMatch(/stroke-dasharray="5 3"/);
    expect(solid).not.toMatch(/stroke-dasharray/);
    expect(new Set([solid, dashed, thin]).size).toBe(3);
  });

  it('each run marker is a different closed shape', () => {
    const shapes = (['circle', 'square', 'triangle', 'diamond', 'cross'] as const).map((m) => markerPath(m, 10, 10, 3));
    expect(new Set(shapes).size).toBe(5);
    for (const d of shapes) expect(d).toMatch(/^M.*Z$/);
    expect(glyphMarkup({ glyph: 'line', color: '#111111', marker: 'square' })).toContain(`d="${markerPath('square', 12, 6, 3.6)}"`);
  });
});
