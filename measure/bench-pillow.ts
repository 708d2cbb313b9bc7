/**
 * The seed design's handler, as the baseline our whole preset is compared with: Python Pillow decodes the upload and
 * writes three full-size conversions one after another (WebP q85 method 6, JPEG q85 optimize, PNG optimize).
 * Timed inside Python (decode and each save), so interpreter start-up is not counted against it. The decode applies
 * the EXIF orientation (`ImageOps.exif_transpose`, a no-op for upright photos) so that its WebP can be scored
 * against the same upright reference as ours.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

export interface PillowRun {
  readonly python: string;
  readonly pillowVersion: string;
  readonly ms: { readonly decode: number; readonly webp: number; readonly jpeg: number; readonly png: number; readonly total: number };
  readonly bytes: { readonly webp: number; readonly jpeg: number; readonly png: number };
  /** Pillow's full-size WebP, kept for the quality comparison. */
  readonly webpFile: string;
}

const SEED_DESIGN = `
import io, json, sys, time
import PIL
from PIL import Image, ImageOps
source, out_dir, wanted = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
started = time.perf_counter()
image = Image.open(source)
image.load()
image = ImageOps.exif_transpose(image)
decoded = time.perf_counter()
outputs = {}
marks = {}
for name, fmt, options in (("webp", "WEBP", {"quality": 85, "method": 6}),
                           ("jpeg", "JPEG", {"quality": 85, "optimize": True}),
                           ("png", "PNG", {"optimize": True})):
    if name not in wanted:
        continue
    buffer = io.BytesIO()
    before = time.perf_counter()
    image.save(buffer, fmt, **options)
    marks[name] = (time.perf_counter() - before) * 1000
    outputs[name] = buffer.getvalue()
total = (time.perf_counter() - started) * 1000
for name, data in outputs.items():
    with open(out_dir + "/pillow." + name, "wb") as handle:
        handle.write(data)
print(json.dumps({"version": PIL.__version__, "decode": (decoded - started) * 1000, "total": total, **marks,
                  "bytes": {name: len(data) for name, data in outputs.items()}}))
`;

/** A python3 that can import Pillow: the first on the PATH, else Debian's (python3-pil installs into it). */
export function findPillow(): { python: string } | { unavailable: string } {
  for (const python of ['python3', '/usr/bin/python3']) {
    const probe = spawnSync(python, ['-c', 'import PIL'], { encoding: 'utf8' });
    if (probe.status === 0) return { python };
  }
  return { unavailable: 'no python3 with Pillow (Debian package python3-pil): the Pillow comparison is skipped' };
}

/** The seed design's conversions of `source`; `webpOnly` makes just its WebP (for the encoder grid). */
export function runSeedDesign(python: string, source: string, outDir: string, webpOnly = false): PillowRun {
  const wanted = webpOnly ? 'webp' : 'webp,jpeg,png';
  const result = spawnSync(python, ['-c', SEED_DESIGN, source, outDir, wanted], { encoding: 'utf8', maxBuffer: 1024 * 1024 });
  if (result.status !== 0) throw new Error(`Pillow's conversions failed: ${(result.stderr || result.stdout).trim()}`);
  const out = JSON.parse(result.stdout.trim().split('\n').pop()!) as {
    version: string; decode: number; webp: number; jpeg?: number; png?: number; total: number;
    bytes: { webp: number; jpeg?: number; png?: number };
  };
  return {
    python,
    pillowVersion: out.version,
    ms: { decode: out.decode, webp: out.webp, jpeg: out.jpeg ?? 0, png: out.png ?? 0, total: out.total },
    bytes: { webp: out.bytes.webp, jpeg: out.bytes.jpeg ?? 0, png: out.bytes.png ?? 0 },
    webpFile: path.join(outDir, 'pillow.webp'),
  };
}
