import { DEFAULT_PRESET, negotiationOrder, overridePreset, presetProblems } from '../../lib/variants';

describe('variant preset', () => {
  test('the default preset is valid', () => {
    expect(presetProblems(DEFAULT_PRESET)).toEqual([]);
  });

  test('the default preset has a square cover thumbnail, responsive widths and a capped full size', () => {
    const byName = Object.fromEntries(DEFAULT_PRESET.variants.map((v) => [v.name, v]));
    expect(byName.thumb).toMatchObject({ fit: 'cover', width: 256, height: 256 });
    for (const width of [320, 640, 1280, 1920]) expect(byName[String(width)]).toMatchObject({ fit: 'inside', width });
    expect(byName.full).toMatchObject({ fit: 'inside', width: 2560, height: 2560 });
    for (const variant of DEFAULT_PRESET.variants) expect(variant.formats).toEqual(expect.arrayContaining(['webp', 'jpeg']));
    expect(DEFAULT_PRESET.png).toBe('alpha-or-lossless');
  });

  test('makes AVIF only up to 1280 px wide, where its encode cost fits the time budget', () => {
    const withAvif = DEFAULT_PRESET.variants.filter((v) => v.formats.includes('avif'));
    expect(Math.max(...withAvif.map((v) => v.width))).toBe(1280);
  });

  test('an override replaces what it names and keeps the rest', () => {
    const preset = overridePreset(DEFAULT_PRESET, { encoders: { webp: { quality: 70 } }, png: 'never' });
    expect(preset.encoders.webp).toEqual({ quality: 70, effort: DEFAULT_PRESET.encoders.webp.effort });
    expect(preset.encoders.jpeg).toEqual(DEFAULT_PRESET.encoders.jpeg);
    expect(preset.png).toBe('never');
    expect(preset.variants).toBe(DEFAULT_PRESET.variants);
  });

  test('fails a fit or a PNG policy it does not know, as a preset read from VARIANT_PRESET can have', () => {
    const problems = presetProblems({
      ...DEFAULT_PRESET,
      variants: [{ name: 'x', width: 100, fit: 'contain' as never, formats: ['webp'] }],
      png: 'sometimes' as never,
    });
    expect(problems).toEqual([
      'Expected one of cover, inside for variant "x" fit but received "contain"',
      'Expected one of never, alpha-or-lossless, always for png but received "sometimes"',
    ]);
  });

  test('reports every problem of a broken preset', () => {
    const problems = presetProblems({
      ...DEFAULT_PRESET,
      variants: [
        { name: 'Big One', width: 0, fit: 'inside', formats: ['webp'] },
        { name: 'sq', width: 100, fit: 'cover', formats: [] },
        { name: 'sq', width: 100, height: 100, fit: 'cover', formats: ['gif' as never] },
        { name: '640-anim', width: 640, fit: 'inside', formats: ['webp'] },
      ],
      encoders: { ...DEFAULT_PRESET.encoders, webp: { quality: 101, effort: 4 } },
      quality: { ...DEFAULT_PRESET.quality, measurePixels: -1 },
      background: 'white',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Expected 1-32 lower-case letters, digits or hyphens for variant "Big One" name but received "Big One"$/),
        expect.stringMatching(/^Expected an integer from 1 to 8192 for variant "Big One" width but received 0$/),
        expect.stringMatching(/"sq": fit "cover" needs a height/),
        expect.stringMatching(/"sq": lists no formats/),
        expect.stringMatching(/"sq": name is used twice/),
        expect.stringMatching(/^Expected one of avif, webp, jpeg, png for a format of variant "sq" but received "gif"$/),
        expect.stringMatching(/^Expected an integer from 1 to 100 for webp quality but received 101$/),
        expect.stringMatching(/^Expected an integer from 0 to 67108864 for quality measurePixels but received -1$/),
        expect.stringMatching(/^Expected a colour like #ffffff for background but received "white"$/),
        expect.stringMatching(/^Expected a name not ending in "-anim" for variant "640-anim" name but received "640-anim" \(it marks/),
      ]),
    );
  });

  test('negotiation prefers AVIF, then WebP, then JPEG, among the formats a variant has', () => {
    expect(negotiationOrder({ name: 'a', width: 1, fit: 'inside', formats: ['jpeg', 'webp', 'avif'] })).toEqual(['avif', 'webp', 'jpeg']);
    expect(negotiationOrder({ name: 'b', width: 1, fit: 'inside', formats: ['jpeg', 'webp'] })).toEqual(['webp', 'jpeg']);
    expect(negotiationOrder({ name: 'c', width: 1, fit: 'inside', formats: ['png'] })).toEqual(['png']);
  });
});
