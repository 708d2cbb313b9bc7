import { bucketNameProblems, prefixProblems, resourceNames, suffixProblems } from '../../lib/naming';

describe('resource names', () => {
  test('are <prefix>-<role>-<suffix>', () => {
    const names = resourceNames('acme', 'pr3515');
    expect(names.uploadBucket).toBe('acme-uploads-pr3515');
    expect(names.outputBuckets).toEqual({
      avif: 'acme-avif-pr3515',
      webp: 'acme-webp-pr3515',
      jpeg: 'acme-jpeg-pr3515',
      png: 'acme-png-pr3515',
    });
    expect(names.table).toBe('acme-metadata-pr3515');
    expect(names.processorFunction).toBe('acme-processor-pr3515');
    expect(names.processorLogGroup).toBe('/aws/lambda/acme-processor-pr3515');
  });

  test('fails a suffix with upper case, underscores, edge hyphens or too many characters', () => {
    for (const bad of ['Dev', 'dev_1', '-dev', 'dev-', 'a--b', '', 'x'.repeat(21)]) {
      expect(suffixProblems(bad)).toEqual([expect.stringMatching(/^Invalid environment suffix \(value: /)]);
    }
    expect(suffixProblems('pr3515')).toEqual([]);
  });

  test('fails a prefix that does not start with a letter', () => {
    expect(prefixProblems('1acme')).toEqual([expect.stringMatching(/starting with a letter/)]);
    expect(prefixProblems('acme-img')).toEqual([]);
  });

  test('fails bucket names that break the S3 rules', () => {
    expect(bucketNameProblems('ab')).toEqual([expect.stringMatching(/must be 3 to 63 characters long, received 2/)]);
    expect(bucketNameProblems('a'.repeat(64))).toEqual([expect.stringMatching(/received 64/)]);
    expect(bucketNameProblems('my.bucket')).toEqual([expect.stringMatching(/only lower-case letters, digits and hyphens/)]);
    expect(bucketNameProblems('xn--bucket')).toEqual([expect.stringMatching(/reserved prefix xn--/)]);
    expect(bucketNameProblems('bucket-s3alias')).toEqual([expect.stringMatching(/reserved suffix -s3alias/)]);
    expect(bucketNameProblems('good-bucket-1')).toEqual([]);
  });
});
