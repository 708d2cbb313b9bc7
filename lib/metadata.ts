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

/** Where the upload came from. */
export interface SourceRecord {
  readonly bucket: string;
  readonly key: string;
  readonly version_id?: string;
  readonly etag?: string;
  readonly bytes?: number;
  readonly content_type?: string;
}

/** What the upload turned out to be, read from its bytes. */
export interface OriginalRecord {
  readonly format: string;
  /** Upright dimensions (after EXIF orientation). */
  readonly width: number;
  readonly height: number;
  readonly alpha: boolean;
  /** EXIF orientation tag of the upload (1-8), 1 when absent. */
  readonly orientation: number;
  /** Frames in the upload (1 unless animated). */
  readonly frames: number;
  /** True when the upload is rendered as an animation (animated WebP renditions, still posters in the other formats). */
  readonly animated?: boolean;
  /** Total duration of one pass of the animation: the sum of its frame delays. */
  readonly duration_ms?: number;
  /** How many times the animation plays: 0 = forever. */
  readonly loop?: number;
}

/** One object written for one variant in one format. */
export interface VariantRecord {
  readonly format: string;
  readonly name: string;
  readonly width: number;
  readonly height: number;
  /** Key in that format's bucket (and path on the CDN without the leading slash). */
  readonly key: string;
  readonly bytes: number;
  /** True for an animated rendition (animated WebP); absent on stills. */
  readonly animated?: boolean;
  /** Frames of an animated rendition. */
  readonly frames?: number;
  /** The encoder quality setting used (lossy formats). */
  readonly quality?: number;
  /** SSIMULACRA 2 score of the rendition against the source resized to the same size (quality `target` mode). */
  readonly score?: number;
  /** `measured`: this rendition was scored; `predicted`: its quality was chosen on another size of the same format. */
  readonly score_source?: ScoreSource;
  /**
   * True where the 4:2:0 chroma of WebP and JPEG could not reach the target (coloured text, screenshots): JPEG was
   * encoded 4:4:4 and WebP with sharp YUV conversion (`smartSubsample`), in quality `target` mode.
   */
  readonly full_chroma?: boolean;
}

export type ScoreSource = 'measured' | 'predicted';

export interface ErrorRecord {
  /** A reason code from lib/failures.ts (FAILED items) or the transient error's name (released attempts). */
  readonly code: string;
  readonly message: string;
}

/**
 * One item of the metadata table, as the processor writes it and the local runtime and command line read it.
 * Timestamps are ISO-8601 UTC.
 */
export interface ImageRecord {
  readonly image_id: string;
  readonly status: ImageStatus;
  readonly source: SourceRecord;
  readonly original?: OriginalRecord;
  readonly variants?: readonly VariantRecord[];
  readonly bytes_in?: number;
  readonly bytes_out?: number;
  /** Bytes of the upload minus its largest WebP rendition: what a page saves by serving the variant (negative when larger). */
  readonly bytes_saved?: number;
  /** A tiny blurred WebP of the image as a data URI, for placeholders while the real variant loads. */
  readonly placeholder?: string;
  readonly processing_ms?: number;
  /** Processing attempts started for this image (duplicates that found it finished are not counted). */
  readonly attempts: number;
  readonly error?: ErrorRecord;
  /** The attempt that holds the record while PROCESSING, and until when (a crashed attempt's lease runs out). */
  readonly attempt_id?: string;
  readonly lease_expires_at?: string;
  readonly created_at: string;
  readonly updated_at: string;
  readonly completed_at?: string;
  /** When the outcome was published on the outcome topic (lib/outcomes.ts); absent until it was. */
  readonly announced_at?: string;
}

/** Attribute names the processor's conditional writes name (the rest are the ImageRecord fields above). */
export const ATTRIBUTE = {
  status: STATUS_INDEX.hashKey,
  updatedAt: STATUS_INDEX.rangeKey,
  attemptId: 'attempt_id',
  leaseExpiresAt: 'lease_expires_at',
  announcedAt: 'announced_at',
} as const satisfies Record<string, keyof ImageRecord>;
