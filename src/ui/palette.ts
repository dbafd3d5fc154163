/**
 * Colours: one per run in the charts and the runs table, one per modality in the imbalance view, one per class in
 * the UMAP maps and legends, and the text colours of the legends (with the WCAG contrast ratio they are checked by).
 */

/**
 * Run colours, each at least 3:1 against white (WCAG 1.4.11, lines and swatches), and a marker shape per run for
 * the views where colour means something else (the imbalance view colours by modality).
 */
export const RUN_COLORS = ['#1f77b4', '#d62728', '#2a8a2a', '#b35806', '#7b4fb0', '#8c564b', '#c2247a', '#0e7490', '#6b6b00', '#5f6b78'];
export const RUN_MARKERS = ['circle', 'square', 'triangle', 'diamond', 'cross'] as const;
export type RunMarker = (typeof RUN_MARKERS)[number];

function wrap(index: number, n: number): number {
  return ((index % n) + n) % n;
}

/** The colour of colour index `index` (a run's `colorIndex`). */
export function runColor(index: number): string {
  return RUN_COLORS[wrap(index, RUN_COLORS.length)];
}

/** The marker of colour index `index`: changes every full turn of the colours, so index and marker never repeat together within 50 runs. */
export function runMarker(index: number): RunMarker {
  return RUN_MARKERS[wrap(Math.floor(index / RUN_COLORS.length) + index, RUN_MARKERS.length)];
}

/** What a run keeps of its colour: the index given when it joined the lab. */
export interface Colored {
  id: string;
  colorIndex?: number;
}

/**
 * A run's colour index: the one it was given, else (runs stored before colours were kept) a number derived from its
 * id, so it does not depend on the run's place in any list either.
 */
export function colorIndexOf(run: Colored): number {
  if (run.colorIndex !== undefined && Number.isInteger(run.colorIndex) && run.colorIndex >= 0) return run.colorIndex;
  let h = 0;
  for (let i = 0; i < run.id.length; i++) h = (Math.imul(h, 31) + run.id.charCodeAt(i)) | 0;
  return Math.abs(h) % RUN_COLORS.length;
}

/** The colour of a run, the same in every view and wherever it stands in the list. */
export function colorOfRun(run: Colored): string {
  return runColor(colorIndexOf(run));
}

/** The marker of a run, the same in every view. */
export function markerOfRun(run: Colored): RunMarker {
  return runMarker(colorIndexOf(run));
}

/**
 * The colour index for a run joining `others`: the smallest one none of them holds (so the first ten runs on the
 * page have ten different colours); a run that has one keeps it.
 */
export function withColorIndex<T extends Colored>(run: T, others: readonly Colored[]): T {
  if (run.colorIndex !== undefined) return run;
  const used = new Set(others.filter((o) => o.id !== run.id && o.colorIndex !== undefined).map((o) => o.colorIndex));
  let index = 0;
  while (used.has(index)) index++;
  return { ...run, colorIndex: index };
}

/** Branch colours of the imbalance view, the same for every run (the first branch warm, the second cool). */
export const MODALITY_COLORS = { audio: '#c2410c', visual: '#1d4ed8' } as const;
export type ModalityName = keyof typeof MODALITY_COLORS;

/** Text of the chart legends and run keys (the glyphs carry the colour; text stays dark). */
export const LEGEND_TEXT = '#1c2430';
/** Secondary legend text (annotations such as "> 1: RGB stronger"). */
export const LEGEND_MUTED = '#4b5563';
/** The backgrounds that legend text sits on: the panel and the exported image. */
export const LEGEND_BACKGROUNDS = ['#ffffff'] as const;
/** Every colour the legends write text in (checked against every background at 4.5:1 by palette.test.ts). */
export const LEGEND_TEXT_COLORS = [LEGEND_TEXT, LEGEND_MUTED, MODALITY_COLORS.audio, MODALITY_COLORS.visual] as const;

/** sRGB relative luminance of a #rrggbb colour (WCAG 2). */
export function relativeLuminance(hex: string): number {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new Error(`not a #rrggbb colour: ${hex}`);
  const [r, g, b] = [m[1], m[2], m[3]].map((h) => {
    const c = parseInt(h, 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG contrast ratio of two #rrggbb colours, from 1 to 21. */
export function contrastRatio(a: string, b: string): number {
  const [hi, lo] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

const CLASS_BASE = [
  '#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf',
  '#aec7e8', '#ffbb78', '#98df8a', '#ff9896', '#c5b0d5', '#c49c94', '#f7b6d2', '#c7c7c7', '#dbdb8d', '#9edae5',
];

/** Class colour: Tableau 20 for the first 20 classes, then evenly spaced hues. */
export function classColor(index: number): string {
  if (index >= 0 && index < CLASS_BASE.length) return CLASS_BASE[index];
  const hue = Math.round((index * 137.508) % 360);
  return `hsl(${hue}, 65%, 45%)`;
}
