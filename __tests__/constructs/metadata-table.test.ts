import { MetadataTable } from '../../constructs/metadata-table';
import { IMAGE_ID_ATTRIBUTE, STATUS_INDEX } from '../../lib/metadata';
import { only, synthScope } from '../support/synth';

describe('MetadataTable', () => {
  test('is on-demand, keyed by image_id, encrypted, with point-in-time recovery', () => {
    const [, table] = only(synthScope((scope) => new MetadataTable(scope, 'metadata', { tableName: 'acme-metadata-dev' })), 'aws_dynamodb_table');
    expect(table).toMatchObject({
      name: 'acme-metadata-dev',
      billing_mode: 'PAY_PER_REQUEST',
      hash_key: IMAGE_ID_ATTRIBUTE,
      point_in_time_recovery: { enabled: true },
      server_side_encryption: { enabled: true },
      deletion_protection_enabled: false,
    });
    expect(table.range_key).toBeUndefined();
  });

  test('has a status index sorted by update time for the operator, not a timestamp hash key', () => {
    const [, table] = only(synthScope((scope) => new MetadataTable(scope, 'metadata', { tableName: 't' })), 'aws_dynamodb_table');
    expect(table.global_secondary_index).toEqual([
      { name: STATUS_INDEX.name, hash_key: 'status', range_key: 'updated_at', projection_type: 'ALL' },
    ]);
    expect(table.attribute).toEqual([
      { name: 'image_id', type: 'S' },
      { name: 'status', type: 'S' },
      { name: 'updated_at', type: 'S' },
    ]);
  });

  test('turns on deletion protection when asked', () => {
    const [, table] = only(
      synthScope((scope) => new MetadataTable(scope, 'metadata', { tableName: 't', deletionProtection: true })),
      'aws_dynamodb_table',
    );
    expect(table.deletion_protection_enabled).toBe(true);
  });
});
