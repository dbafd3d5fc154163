/**
 * A chart as a standalone SVG file (the recharts SVG plus a title and a legend, which recharts draws in HTML),
 * and as PNG by drawing that SVG on a canvas.
 */

export interface LegendEntry {
  name: string;
  color: string;
  dashed: boolean;
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

const HEADER = 26;
const LEGEND_ROW = 16;
const FONT = "-apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";

/**
 * Wraps the inner markup of a chart (`body`, the children of recharts' <svg>) into a standalone SVG document of
 * the given plot size, with a white background, `title` on top and the legend below.
 */
export function standaloneSvg(body: string, width: number, height: number, title: string, legend: readonly LegendEntry[]): string {
  const perRow = Math.max(1, Math.floor(width / 200));
  const rows = Math.ceil(legend.length / perRow);
  const total = HEADER + height + rows * LEGEND_ROW + 6;
  const legendMarkup = legend
    .map((entry, i) => {
      const x = 10 + (i % perRow) * 200;
      const y = HEADER + height + 4 + Math.floor(i / perRow) * LEGEND_ROW;
      const dash = entry.dashed ? ' stroke-dasharray="5 3"' : '';
      return (
        `<line x1="${x}" y1="${y + 6}" x2="${x + 18}" y2="${y + 6}" stroke="${escapeXml(entry.color)}" stroke-width="2"${dash}/>` +
        `<text x="${x + 24}" y="${y + 10}" font-size="11" fill="#333">${escapeXml(entry.name)}</text>`
      );
    })
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${total}" viewBox="0 0 ${width} ${total}" font-family="${escapeXml(FONT)}">` +
    `<rect width="100%" height="100%" fill="#ffffff"/>` +
    `<text x="10" y="17" font-size="13" font-weight="600" fill="#111">${escapeXml(title)}</text>` +
    `<g transform="translate(0, ${HEADER})">${body}</g>` +
    legendMarkup +
    `</svg>`
  );
}

/** The standalone SVG of a recharts chart found inside `container`; null when the chart has not rendered. */
export function chartSvg(container: HTMLElement, title: string, legend: readonly LegendEntry[]): string | null {
  const svg = container.querySelector<SVGSVGElement>('svg.recharts-surface');
  if (!svg) return null;
  const box = svg.getBoundingClientRect();
  const width = Math.round(box.width) || Number(svg.getAttribute('width')) || 400;
  const height = Math.round(box.height) || Number(svg.getAttribute('height')) || 200;
  const serializer = new XMLSerializer();
  const body = Array.from(svg.childNodes)
    .map((node) => serializer.serializeToString(node))
    .join('');
  return standaloneSvg(body, width, height, title, legend);
}

/** Renders SVG markup to a PNG Blob at `scale` times its size. */
export async function svgToPng(svgText: string, scale = 2): Promise<Blob> {
  const url = URL.createObjectURL(new Blob([svgText], { type: 'image/svg+xml' }));
  try {
    const image = new Image();
    image.decoding = 'async';
    image.src = url;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = Math.ceil(image.naturalWidth * scale);
    canvas.height = Math.ceil(image.naturalHeight * scale);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('canvas 2d context unavailable');
    ctx.scale(scale, scale);
    ctx.drawImage(image, 0, 0);
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('PNG encoding failed'))), 'image/png'),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}
