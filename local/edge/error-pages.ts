/** CloudFront's custom error responses: an origin's error replaced by a page read from an origin. */
import { Readable } from 'node:stream';
import type { DistributionConfig, OriginConfig } from '../distribution';
import { selectBehaviour } from '../path-pattern';
import type { Reply } from './reply';

/**
 * A custom error response with a page replaces an origin's error, when the page itself can be read; otherwise the
 * error stands.
 *
 * @param readPage reads a path from an origin, without the viewer's conditional or range headers
 */
export async function customErrorPage(
  distribution: DistributionConfig,
  origins: ReadonlyMap<string, OriginConfig>,
  reply: Reply,
  readPage: (origin: OriginConfig, path: string) => Promise<Reply>,
): Promise<Reply> {
  const custom = distribution.customErrorResponses.find((entry) => entry.errorCode === reply.status && entry.responsePagePath);
  if (!custom?.responsePagePath) return reply;
  const pagePath = custom.responsePagePath.startsWith('/') ? custom.responsePagePath : `/${custom.responsePagePath}`;
  const behaviour = selectBehaviour(distribution.orderedBehaviours, distribution.defaultBehaviour, pagePath);
  const page = await readPage(origins.get(behaviour.targetOriginId) as OriginConfig, pagePath);
  if (page.status >= 400) {
    if (page.body instanceof Readable) page.body.destroy();
    return reply;
  }
  if (reply.body instanceof Readable) reply.body.destroy();
  return { ...page, status: custom.responseCode ?? reply.status, cache: 'Error' };
}
