/**
 * Reading a confusion matrix (row = true class, column = predicted class): per-class accuracy (recall),
 * overall accuracy and row-normalised rates for the heatmap.
 */
import type { ConfusionMatrix } from '../core/events';

/** Correct / total per true class; null for a class with no test clips. */
export function perClassAccuracy(matrix: ConfusionMatrix): (number | null)[] {
  return matrix.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total > 0 ? (row[i] ?? 0) / total : null;
  });
}

/** Trace / sum; null for an empty matrix. */
export function overallAccuracy(matrix: ConfusionMatrix): number | null {
  let correct = 0;
  let total = 0;
  matrix.forEach((row, i) => {
    row.forEach((v, j) => {
      total += v;
      if (i === j) correct += v;
    });
  });
  return total > 0 ? correct / total : null;
}

/** Each row divided by its sum (0 for an empty row): the heatmap's shading. */
export function rowNormalised(matrix: ConfusionMatrix): number[][] {
  return matrix.map((row) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((v) => (total > 0 ? v / total : 0));
  });
}

/** Class names for a matrix of size C: the given names, or "class i" for any missing. */
export function classLabels(classNames: readonly string[], size: number): string[] {
  return Array.from({ length: size }, (_, i) => classNames[i] ?? `class ${i}`);
}
