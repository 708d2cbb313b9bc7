/**
 * The metadata table's schema: key and index names that the table construct declares and the function, the local
 * runtime and the command line read and write.
 */

/** Hash key of the table: one item per image. */
export const IMAGE_ID_ATTRIBUTE = 'image_id';

export const IMAGE_STATUSES = ['PROCESSING', 'COMPLETED', 'FAILED'] as const;
export type ImageStatus = (typeof IMAGE_STATUSES)[number];

/**
 * The operator's index: "the newest failed images", "the newest completed images". Hash key `status`, range key
 * `updated_at` (ISO-8601 UTC, so it sorts by time); query one status, newest first.
 */
export const STATUS_INDEX = {
  name: 'status-updated_at',
  hashKey: 'status',
  rangeKey: 'updated_at',
} as const;
