import { FUNCTION_ENV, functionEnvironment, readFunctionConfig } from '../../lib/function-environment';
import { DEFAULT_PRESET } from '../../lib/variants';

const config = {
  table: 'acme-metadata-dev',
  outputBuckets: { avif: 'a', webp: 'w', jpeg: 'j', png: 'p' },
  preset: DEFAULT_PRESET,
  environment: 'dev',
  metricsNamespace: 'ImageOptimization',
  outcomeTopicArn: 'arn:aws:sns:us-east-1:123456789012:acme-outcomes-dev',
  cdnUrl: 'https://d111111abcdef8.cloudfront.net',
  leaseSeconds: 30,
  stuckAfterSeconds: 390,
};

describe('function environment', () => {
  test('round-trips the configuration through environment variables', () => {
    expect(readFunctionConfig(functionEnvironment(config))).toEqual(config);
  });

  test('fails naming every missing or malformed variable', () => {
    const env = functionEnvironment(config);
    delete env[FUNCTION_ENV.table];
    env[FUNCTION_ENV.outputBuckets] = '{"webp":"w"}';
    env[FUNCTION_ENV.preset] = '{not json';
    expect(() => readFunctionConfig(env)).toThrow(
      'Invalid processor configuration: METADATA_TABLE is not set; VARIANT_PRESET is not valid JSON; OUTPUT_BUCKETS has no bucket for avif; OUTPUT_BUCKETS has no bucket for jpeg; OUTPUT_BUCKETS has no bucket for png',
    );
  });

  test('fails a lease or stuck time that is not whole seconds, and trims a trailing slash off the CDN URL', () => {
    const env = { ...functionEnvironment(config), [FUNCTION_ENV.leaseSeconds]: '0', [FUNCTION_ENV.stuckAfterSeconds]: 'soon' };
    expect(() => readFunctionConfig(env)).toThrow(
      'Invalid processor configuration: UPLOAD_LEASE_SECONDS is not a whole number of seconds above 0; STUCK_AFTER_SECONDS is not a whole number of seconds above 0',
    );
    expect(readFunctionConfig({ ...functionEnvironment(config), [FUNCTION_ENV.cdnUrl]: 'http://127.0.0.1:8787/' }).cdnUrl).toBe('http://127.0.0.1:8787');
  });

  test('fails a preset that breaks the preset rules', () => {
    const env = functionEnvironment({ ...config, preset: { ...DEFAULT_PRESET, variants: [] } });
    expect(() => readFunctionConfig(env)).toThrow('VARIANT_PRESET: the variant preset has no variants');
    expect(() => readFunctionConfig({ ...env, [FUNCTION_ENV.preset]: '{"a":1}' })).toThrow('VARIANT_PRESET is not a variant preset');
  });
});
