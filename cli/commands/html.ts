/**
 * `imgopt html <image_id>`: the responsive markup for one COMPLETED image (lib/picture-markup.ts, the same the local
 * console shows), with the CDN's URLs: the local edge's, or with --env the deployed CloudFront distribution's.
 */
import { markupProblem, pictureMarkup } from '../../lib/picture-markup';
import type { ParsedCommand } from '../args';
import { EXIT, UserError } from '../errors';
import { checkImageId, getImage, missingImage } from '../images';
import type { Target } from '../target';

export async function html(command: ParsedCommand, connect: () => Target): Promise<number> {
  const imageId = checkImageId(command.positionals[0]);
  const alt = command.options.alt as string | undefined;
  const negotiated = command.options.negotiated === true;
  const target = connect();
  const record = await getImage(target, imageId);
  if (!record) throw missingImage(target, imageId);
  const problem = markupProblem(record);
  if (problem) throw new UserError(`${problem}${record.error ? ` (${record.error.code}: ${record.error.message})` : ''}`);
  const markup = pictureMarkup(target.cdnUrl, record, { form: negotiated ? 'img' : 'picture', alt });
  process.stdout.write(command.global.json ? `${JSON.stringify({ image_id: imageId, cdn_url: target.cdnUrl, html: markup }, null, 2)}\n` : markup);
  return EXIT.ok;
}
