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
      expect(suffixProblems(bad)).toEqual([expect.stringMatching(/^Expected .* for environment suffix but received "/)]);
    }
    expect(suffixProblems('pr3515')).toEqual([]);
  });

  test('fails a prefix that does not start with a letter', () => {
    expect(prefixProblems('1acme')).toEqual([expect.stringMatching(/starting with a letter/)]);
    expect(prefixProblems('acme-img')).toEqual([]);
  });

  test('fails bucket names that break the S3 rules', () => {
    expect(bucketNameProblems('ab')).toEqual([expect.stringMatching(/^Expected 3 to 63 characters for S3 bucket name but received "ab" \(2 characters\)$/)]);
    expect(bucketNameProblems('a'.repeat(64))).toEqual([expect.stringMatching(/\(64 characters\)$/)]);
    expect(bucketNameProblems('my.bucket')).toEqual([expect.stringMatching(/^Expected only lower-case letters, digits and hyphens for S3 bucket name but received "my.bucket"$/)]);
    expect(bucketNameProblems('xn--bucket')).toEqual([expect.stringMatching(/^Expected no reserved prefix xn-- for S3 bucket name/)]);
    expect(bucketNameProblems('bucket-s3alias')).toEqual([expect.stringMatching(/^Expected no reserved suffix -s3alias for S3 bucket name/)]);
    expect(bucketNameProblems('good-bucket-1')).toEqual([]);
  });
});
