import { Construct } from 'constructs';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { IMAGE_ID_ATTRIBUTE, STATUS_INDEX } from '../lib/metadata';

export interface MetadataTableProps {
  readonly tableName: string;
  /**
   * Refuse `terraform destroy` and console deletes of the table.
   *
   * @default false
   */
  readonly deletionProtection?: boolean;
}

/**
 * The image metadata table: one item per image keyed by `image_id`, on-demand billing, encryption with the AWS
 * managed key, point-in-time recovery, and a status index for the operator's questions (newest failures, newest
 * completions).
 */
export class MetadataTable extends Construct {
  public readonly table: DynamodbTable;
  public readonly name: string;
  public readonly arn: string;

  constructor(scope: Construct, id: string, props: MetadataTableProps) {
    super(scope, id);
    this.table = new DynamodbTable(this, 'table', {
      name: props.tableName,
      billingMode: 'PAY_PER_REQUEST',
      hashKey: IMAGE_ID_ATTRIBUTE,
      attribute: [
        { name: IMAGE_ID_ATTRIBUTE, type: 'S' },
        { name: STATUS_INDEX.hashKey, type: 'S' },
        { name: STATUS_INDEX.rangeKey, type: 'S' },
      ],
      globalSecondaryIndex: [
        {
          name: STATUS_INDEX.name,
          hashKey: STATUS_INDEX.hashKey,
          rangeKey: STATUS_INDEX.rangeKey,
          projectionType: 'ALL',
        },
      ],
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true },
      deletionProtectionEnabled: props.deletionProtection ?? false,
    });
    this.name = this.table.name;
    this.arn = this.table.arn;
  }
}
