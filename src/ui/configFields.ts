/**
 * How the lab's form shows the settings table (`src/core/settings.ts`): section titles and the display names of
 * methods and fusions. Nothing here declares a setting; adding one to the table adds its field to the form.
 */
import { settingAt } from '../core/config';
import type { SettingSection } from '../core/settings';

export const SECTION_TITLES: Record<SettingSection, string> = {
  model: 'Model',
  training: 'Training',
  mm: 'Mixup (MM)',
  bmm: 'B-MM',
  ogm: 'OGM-GE',
  inputs: 'Inputs and size',
};

function enumLabels(path: string): Readonly<Record<string, string>> {
  const s = settingAt(path);
  return s && s.kind === 'enum' && s.labels ? s.labels : {};
}

/** How the page names each method and fusion. */
export const METHOD_LABELS: Readonly<Record<string, string>> = enumLabels('method');
export const FUSION_LABELS: Readonly<Record<string, string>> = enumLabels('fusion');
