/**
 * A chart as a standalone SVG file (the plot's SVG as drawn on the page, plus the title and the legend, which the
 * page draws in HTML), and as PNG by drawing that SVG on a canvas. The legend glyphs (line styles, markers, swatches,
 * bands) are one markup, drawn the same on the page and in the file.
 */
import { LEGEND_TEXT } from '../palette';
import type { RunMarker } from '../palette';
import type { LegendItem } from './series';

export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

/** The dash pattern of test curves, in the plot and in the legend glyph (long enough to read as dashed at 24 px). */
export const DASH = '5 3';

/** The SVG path of a run marker centred at (cx, cy), radius r. */
export function markerPath(marker: RunMarker, cx: number, cy: number, r: number): string {
  const f = (v: number) => Number(v.toFixed(2));
  switch (marker) {
    case 'circle':
      return `M${f(cx - r)} ${f(cy)}a${f(r)} ${f(r)} 0 1 0 ${f(2 * r)} 0a${f(r)} ${f(r)} 0 1 0 ${f(-2 * r)} 0Z`;
    case 'square': {
      const s = r * 0.9;
      return `M${f(cx - s)} ${f(cy - s)}h${f(2 * s)}v${f(2 * s)}h${f(-2 * s)}Z`;
    }
    case 'triangle': {
      const s = r * 1.2;
      return `M${f(cx)} ${f(cy - s)}L${f(cx + s)} ${f(cy + s * 0.8)}L${f(cx - s)} ${f(cy + s * 0.8)}Z`;
    }
    case 'diamond': {
      const s = r * 1.25;
      return `M${f(cx)} ${f(cy - s)}L${f(cx + s)} ${f(cy)}L${f(cx)} ${f(cy + s)}L${f(cx - s)} ${f(cy)}Z`;
    }
    case 'cross': {
      const s = r * 1.1;
      const t = s * 0.38;
      return `M${f(cx - t)} ${f(cy - s)}h${f(2 * t)}v${f(s - t)}h${f(s - t)}v${f(2 * t)}h${f(t - s)}v${f(s - t)}h${f(-2 * t)}v${f(t - s)}h${f(t - s)}v${f(-2 * t)}h${f(s - t)}Z`;
    }
  }
}

export const GLYPH_WIDTH = 24;
export const GLYPH_HEIGHT = 12;

/** The glyph of a legend entry as SVG markup in a GLYPH_WIDTH x GLYPH_HEIGHT box at the origin. */
export function glyphMarkup(item: Pick<LegendItem, 'glyph' | 'color' | 'marker'>): string {
  const c = escapeXml(item.color);
  const y = GLYPH_HEIGHT / 2;
  const line = (extra: string, width = 2) => `<line x1="1" y1="${y}" x2="${GLYPH_WIDTH - 1}" y2="${y}" stroke="${c}" stroke-width="${width}"${extra}/>`;
  let body: string;
  switch (item.glyph) {
    case 'line':
      body = line('');
      break;
    case 'dashed':
      body = line(` stroke-dasharray="${DASH}"`);
      break;
    case 'thin':
      body = line(' stroke-opacity="0.45"', 1);
      break;
    case 'dot':
      body = item.marker ? '' : `<circle cx="${GLYPH_WIDTH / 2}" cy="${y}" r="3.5" fill="${c}" stroke="#ffffff" stroke-width="1"/>`;
      break;
    case 'swatch':
      body = `<rect x="4" y="1" width="16" height="10" rx="2" fill="${c}"/>`;
      break;
    case 'band':
      body = `<rect x="1" y="0" width="${GLYPH_WIDTH - 2}" height="${GLYPH_HEIGHT}" fill="${c}" fill-opacity="0.18" stroke="${c}" stroke-opacity="0.5"/>`;
      break;
  }
  if (item.marker) body += `<path d="${markerPath(item.marker, GLYPH_WIDTH / 2, y, 3.6)}" fill="${c}" stroke="#ffffff" stroke-width="0.8"/>`;
  return body;
}

const HEADER = 26;
const LEGEND_ROW = 18;
const LEGEND_GAP = 14;
const FONT = "-apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";
const FONT_SIZE = 11;

/** A generous estimate of a label's width at 11 px (no layout engine here): the legend never overlaps itself. */
function textWidth(text: string): number {
  return Math.ceil(text.length * FONT_SIZE * 0.56);
}

/** The legend's entries placed in rows of at most `width` px: [x, row] for each. */
export function legendLayout(items: readonly Pick<LegendItem, 'label'>[], width: number): { at: [number, number][]; rows: number } {
  const at: [number, number][] = [];
  let x = 10;
  let row = 0;
  for (const item of items) {
    const w = GLYPH_WIDTH + 5 + textWidth(item.label);
    if (x > 10 && x + w > width - 10) {
      row++;
      x = 10;
    }
    at.push([x, row]);
    x += w + LEGEND_GAP;
  }
  return { at, rows: items.length ? row + 1 : 0 };
}

/**
 * Wraps the inner markup of a chart (`body`, the children of its plot's <svg>) into a standalone SVG document: a
 * white background, `title` on top, the plot at its size on the page, the legend below (in as many rows as it needs).
 */
export function standaloneSvg(body: string, width: number, height: number, title: string, legend: readonly LegendItem[]): string {
  const { at, rows } = legendLayout(legend, width);
  const top = HEADER + height + 6;
  const total = top + rows * LEGEND_ROW + (rows ? 4 : 0);
  const legendMarkup = legend
    .map((item, i) => {
      const [x, row] = at[i];
      const y = top + row * LEGEND_ROW;
      return (
        `<g transform="translate(${x}, ${y})">${glyphMarkup(item)}</g>` +
        `<text x="${x + GLYPH_WIDTH + 5}" y="${y + 10}" font-size="${FONT_SIZE}" fill="${LEGEND_TEXT}">${escapeXml(item.label)}</text>`
      );
    })
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${total}" viewBox="0 0 ${width} ${total}" font-family="${escapeXml(FONT)}">` +
    `<rect width="100%" height="100%" fill="#ffffff"/>` +
    `<text x="10" y="17" font-size="13" font-weight="600" fill="${LEGEND_TEXT}">${escapeXml(title)}</text>` +
    `<svg x="0" y="${HEADER}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" overflow="hidden">${body}</svg>` +
    legendMarkup +
    `</svg>`
  );
}

/**
 * The plot's own <svg> in `container`: the largest top-level <svg> (legend glyphs and chart icons are <svg>s too,
 * and come first in the page, which is how an export once came out as a 14 px legend icon); null before it is drawn.
 */
export function plotSurface(container: HTMLElement): SVGSVGElement | null {
  let best: SVGSVGElement | null = null;
  let bestArea = 0;
  for (const svg of container.querySelectorAll<SVGSVGElement>('svg')) {
    if (svg.parentElement?.closest('svg') || svg.closest('[data-legend]')) continue;
    const box = svg.getBoundingClientRect();
    const area = box.width * box.height;
    if (area > bestArea) {
      best = svg;
      bestArea = area;
    }
  }
  return best;
}

/** The standalone SVG of the chart drawn inside `container`; null when the chart has not been drawn. */
export function chartSvg(container: HTMLElement, title: string, legend: readonly LegendItem[]): string | null {
  const svg = plotSurface(container);
  if (!svg) return null;
  const box = svg.getBoundingClientRect();
  const width = Math.round(box.width);
  const height = Math.round(box.height);
  if (width <= 0 || height <= 0) return null;
  const serializer = new XMLSerializer();
  const body = Array.from(svg.childNodes)
    .map((node) => serializer.serializeToString(node))
    .join('');
  return standaloneSvg(body, width, height, title, legend);
}

/** The scale of exported PNGs: twice the size on the page, sharp on high-density screens and in print. */
export const PNG_SCALE = 2;

/** Renders SVG markup to a PNG Blob at `scale` times its size. */
export async function svgToPng(svgText: string, scale = PNG_SCALE): Promise<Blob> {
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
    ctx.drawImage(image, 0, 0, image.naturalWidth, image.naturalHeight);
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('PNG encoding failed'))), 'image/png'),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}
