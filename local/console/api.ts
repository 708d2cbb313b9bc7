/** The console's JSON API: what local/console/server.ts answers and the page (local/console/page/) reads. */
import type { ErrorRecord, ImageRecord, ImageStatus } from '../../lib/metadata';

/** One image in the list of recent uploads. */
export interface ConsoleRow {
  readonly image_id: string;
  readonly status: ImageStatus;
  readonly key: string;
  readonly created_at: string;
  readonly updated_at: string;
  readonly source_bytes: number | null;
  readonly bytes_out: number | null;
  readonly bytes_saved: number | null;
  readonly processing_ms: number | null;
  readonly renditions: number;
  readonly attempts: number;
  /** The thumbnail's negotiated URL on the local edge, once COMPLETED. */
  readonly thumb_url: string | null;
  readonly error: ErrorRecord | null;
}

/** One message on the failure queue: an event Lambda gave up on. */
export interface ConsoleFailure {
  /** The message's file name in the queue folder: what a replay of just this one names. */
  readonly id: string;
  readonly request_id: string;
  readonly timestamp: string;
  readonly condition: string;
  readonly attempts: number;
  readonly image_ids: readonly string[];
  readonly keys: readonly string[];
  readonly error_type: string;
  readonly error_message: string;
}

export interface ConsoleOverview {
  readonly edge_url: string;
  readonly upload_bucket: string;
  /** Newest first. */
  readonly images: readonly ConsoleRow[];
  /** Newest first. */
  readonly failures: readonly ConsoleFailure[];
}

export interface ConsoleRendition {
  readonly format: string;
  readonly content_type: string;
  readonly width: number;
  readonly height: number;
  readonly bytes: number;
  /** Its explicit URL on the local edge. */
  readonly url: string;
  readonly quality: number | null;
  readonly score: number | null;
  readonly score_source: string | null;
  /** JPEG 4:4:4 or WebP sharp YUV, where 4:2:0 could not reach the quality target. */
  readonly full_chroma: boolean;
}

export interface ConsoleVariant {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly negotiated_url: string;
  /** The formats the edge picks from for the negotiated URL, best first; the last is what every browser gets. */
  readonly negotiation: readonly string[];
  readonly renditions: readonly ConsoleRendition[];
}

export interface ConsoleImage {
  readonly row: ConsoleRow;
  readonly record: ImageRecord;
  readonly edge_url: string;
  /** The upload itself, read from the upload bucket by the console. */
  readonly original_url: string;
  readonly variants: readonly ConsoleVariant[];
  /** Both forms of lib/picture-markup.ts, or null when the image has no renditions. */
  readonly markup: { readonly picture: string; readonly img: string } | null;
}

export interface ConsoleUploaded {
  readonly image_id: string;
  readonly key: string;
  readonly bytes: number;
}
