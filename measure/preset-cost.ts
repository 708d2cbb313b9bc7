/**
 * The whole default preset on one image, one thread, in fixed mode (`today`) and in quality target mode (`target`):
 * CPU time of the render and, per rendition, width, bytes, encoder quality and recorded score. The numbers for the
 * 12 MP photo in docs/benchmarks.md ("Quality target mode") come from it.
 *
 *   node -r esbuild-register measure/preset-cost.ts <image> today target
 */
import * as fs from 'node:fs';
import sharp from 'sharp';
import { DEFAULT_PRESET, overridePreset } from '../lib/variants';
import { inspect } from '../functions/processor/inspect';
import { render } from '../functions/processor/transform';
import { limitsForMemory } from '../functions/processor/limits';
sharp.concurrency(1);
(async () => {
  const file = process.argv[2];
  const input = fs.readFileSync(file);
  const insp = await inspect(input, limitsForMemory(2048));
  for (const mode of process.argv.slice(3)) {
    const preset = overridePreset(DEFAULT_PRESET, { quality: { mode: mode === 'today' ? 'fixed' : 'target' } });
    const t0 = process.cpuUsage(); const w = Date.now();
    const r = await render(input, insp, preset, 1e9, { concurrency: 1 });
    const cpu = process.cpuUsage(t0);
    console.log(mode, 'cpu ms', Math.round((cpu.user + cpu.system) / 1000), 'wall', Date.now() - w);
    for (const v of r.variants) console.log(' ', v.format, v.name, v.width, v.data.length, v.quality, v.score, v.scoreSource);
  }
})();
