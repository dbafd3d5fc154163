/** Writes python/bmm_lab/settings.json from the settings table (`npm run settings:export`). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { settingsDocument } from '../src/core/settingsDocument';

const out = join(import.meta.dirname, '..', 'python', 'bmm_lab', 'settings.json');
writeFileSync(out, settingsDocument());
console.log(`wrote ${out}`);
