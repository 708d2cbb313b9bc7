import { INPUT_EXTENSIONS, OUTPUT_FORMATS, caseVariants, uploadSuffixes } from '../../lib/formats';
import { IMAGE_ID_PATTERN, deriveImageId, explicitPath, negotiatedPath, outputKey, parseOutputKey } from '../../lib/keys';

describe('upload suffixes', () => {
  test('lists every letter-case spelling of an extension', () => {
    const spellings = caseVariants('jpg');
    expect(spellings).toHaveLength(8);
    expect(spellings).toEqual(expect.arrayContaining(['.jpg', '.JPG', '.Jpg', '.jPg', '.jpG']));
    expect(new Set(spellings).size).toBe(8);
  });

  test('covers every supported extension in any case, once each', () => {
    const suffixes = uploadSuffixes();
    const expected = Object.values(INPUT_EXTENSIONS).flat().reduce((sum, ext) => sum + 2 ** ext.length, 0);
    expect(suffixes).toHaveLength(expected);
    expect(new Set(suffixes).size).toBe(expected);
    for (const name of ['.JPG', '.Jpeg', '.jpeg', '.PNG', '.WebP', '.gif', '.AVIF', '.Tif', '.TIFF']) {
      expect(suffixes).toContain(name);
    }
  });

  test('no suffix is the end of another (S3 rejects overlapping filters)', () => {
    const suffixes = uploadSuffixes();
    for (const a of suffixes) {
      for (const b of suffixes) if (a !== b) expect(b.endsWith(a)).toBe(false);
    }
  });
});

describe('image ids', () => {
  const source = { bucket: 'uploads', key: 'holiday/beach photo.jpg', versionId: 'v1' };

  test('are the same for the same object version (duplicate delivery)', () => {
    expect(deriveImageId(source)).toBe(deriveImageId({ ...source }));
    expect(deriveImageId(source)).toMatch(IMAGE_ID_PATTERN);
  });

  test('change when the key is overwritten (new version or ETag)', () => {
    expect(deriveImageId({ ...source, versionId: 'v2' })).not.toBe(deriveImageId(source));
    const byEtag = deriveImageId({ bucket: 'uploads', key: source.key, etag: '"abc"' });
    expect(deriveImageId({ bucket: 'uploads', key: source.key, etag: 'abc' })).toBe(byEtag);
    expect(deriveImageId({ bucket: 'uploads', key: source.key, etag: 'abd' })).not.toBe(byEtag);
  });

  test('differ between buckets and keys', () => {
    expect(deriveImageId({ ...source, bucket: 'other' })).not.toBe(deriveImageId(source));
    expect(deriveImageId({ ...source, key: 'holiday/beach-photo.jpg' })).not.toBe(deriveImageId(source));
  });

  test('fails without a version id or an ETag', () => {
    expect(() => deriveImageId({ bucket: 'uploads', key: 'a.jpg' })).toThrow(/neither a version id nor an ETag/);
  });
});

describe('key layout', () => {
  const id = 'a1b2c3d4e5f6a7b8c9d0e1f2';

  test('puts each variant under its format, with the format extension', () => {
    expect(outputKey('webp', id, '640')).toBe(`webp/${id}/640.webp`);
    expect(outputKey('jpeg', id, 'thumb')).toBe(`jpeg/${id}/thumb.jpg`);
    expect(explicitPath('avif', id, 'full')).toBe(`/avif/${id}/full.avif`);
    expect(negotiatedPath(id, '640')).toBe(`/images/${id}/640`);
  });

  test('reads keys and paths back', () => {
    for (const format of OUTPUT_FORMATS) {
      expect(parseOutputKey(outputKey(format, id, '1280'))).toEqual({ format, imageId: id, variant: '1280' });
      expect(parseOutputKey(explicitPath(format, id, '1280'))).toEqual({ format, imageId: id, variant: '1280' });
    }
  });

  test('rejects keys outside the layout', () => {
    expect(parseOutputKey(`jpeg/${id}/640.jpeg`)).toBeUndefined();
    expect(parseOutputKey(`gif/${id}/640.gif`)).toBeUndefined();
    expect(parseOutputKey(`webp/nothex/640.webp`)).toBeUndefined();
    expect(parseOutputKey(`images/${id}/640`)).toBeUndefined();
  });
});
