import { describe, expect, it } from 'vitest';
import { escapeXml, standaloneSvg } from './chartExport';

describe('standaloneSvg', () => {
  it('wraps the chart with a title and legend and escapes text', () => {
    const svg = standaloneSvg('<path d="M0 0"/>', 400, 200, 'Loss <train>', [
      { name: 'a & b', color: '#f00', dashed: false },
      { name: 'test', color: '#00f', dashed: true },
    ]);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="400" height="248"')).toBe(true);
    expect(svg).toContain('Loss &lt;train&gt;');
    expect(svg).toContain('a &amp; b');
    expect(svg).toContain('<g transform="translate(0, 26)"><path d="M0 0"/></g>');
    expect(svg.match(/stroke-dasharray="5 3"/g)).toHaveLength(1);
    expect(svg.endsWith('</svg>')).toBe(true);
  });

  it('escapes all XML specials', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
  });
});
