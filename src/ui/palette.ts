/**
 * Colours: one per run in the charts, one per class in the UMAP maps and legends.
 */

/** Run colours (Tableau 10), in run order. */
export const RUN_COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];

/** A run's colour from its position among all runs (oldest first). */
export function runColor(index: number): string {
  return RUN_COLORS[((index % RUN_COLORS.length) + RUN_COLORS.length) % RUN_COLORS.length];
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
