/** `imgopt status <image_id>`: one image's metadata item, readable (or as stored, with --json). */
import type { ImageRecord } from '../../lib/metadata';
import type { ParsedCommand } from '../args';
import { EXIT } from '../errors';
import { formatBytes, formatMs, formatSaved } from '../format';
import { animationText, checkImageId, getImage, missingImage, variantLines, variantUrls } from '../images';
import type { Target } from '../target';

export async function status(command: ParsedCommand, connect: () => Target): Promise<number> {
  const imageId = checkImageId(command.positionals[0]);
  const target = connect();
  const record = await getImage(target, imageId);
  if (!record) throw missingImage(target, imageId);
  process.stdout.write(command.global.json ? `${JSON.stringify(record, null, 2)}\n` : renderRecord(target, record));
  return EXIT.ok;
}

export function renderRecord(target: Target, record: ImageRecord): string {
  const row = (label: string, value: string) => `${label.padEnd(11)}${value}`;
  const s = record.source;
  const lines = [`image ${record.image_id}  ${record.status}`, ''];
  const sourceDetails = [formatBytes(s.bytes), s.content_type, s.version_id ? `version ${s.version_id}` : s.etag ? `ETag ${s.etag}` : undefined];
  lines.push(row('source', `s3://${s.bucket}/${s.key}  (${sourceDetails.filter(Boolean).join(', ')})`));
  const o = record.original;
  if (o) {
    const extra = [o.alpha ? 'transparency' : 'no transparency', o.orientation !== 1 ? `EXIF orientation ${o.orientation}` : undefined, o.animated ? animationText(o) : o.frames > 1 ? `${o.frames} frames` : undefined];
    lines.push(row('original', `${o.format} ${o.width}x${o.height}, ${extra.filter(Boolean).join(', ')}`));
  }
  if (record.error) lines.push(row('error', `${record.error.code}: ${record.error.message}`));
  if (record.status === 'COMPLETED') {
    lines.push(row('processed', `in ${formatMs(record.processing_ms)}; ${formatBytes(record.bytes_in)} in, ${formatBytes(record.bytes_out)} out in all variants`));
    lines.push(row('saved', formatSaved(record.bytes_saved, s.bytes)));
  }
  lines.push(row('attempts', String(record.attempts)));
  lines.push(row('created', record.created_at));
  lines.push(row('updated', `${record.updated_at}${record.completed_at && record.completed_at !== record.updated_at ? ` (completed ${record.completed_at})` : ''}`));
  if (record.status === 'PROCESSING' && record.lease_expires_at) lines.push(row('lease', `held until ${record.lease_expires_at}`));
  const variants = variantUrls(target.cdnUrl, record);
  if (variants.length > 0) {
    lines.push('', 'variants');
    lines.push(...variantLines(variants, '  '));
  }
  return `${lines.join('\n')}\n`;
}
