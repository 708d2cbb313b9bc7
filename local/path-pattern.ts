/**
 * How CloudFront picks a cache behaviour for a request path, for the local edge.
 *
 * CloudFront normalizes the request path (RFC 3986: percent-encoded unreserved characters decoded, the other
 * percent-encodings in upper case, dot segments removed), then compares it with each ordered behaviour's path
 * pattern in order; the first match wins and the default behaviour (`*`) takes the rest. Patterns are
 * case-sensitive, `*` matches any run of characters (`/` included, possibly none), `?` exactly one, and a pattern
 * means the same with or without its leading `/`. The behaviour is chosen on the normalized path; the raw path is
 * what the function and the origin then see.
 */

/** A cache behaviour, as far as choosing one goes. */
export interface PathPatterned {
  readonly pathPattern: string;
}

/**
 * Whether a (normalized) request path matches a cache behaviour's path pattern.
 *
 * @example
 * matchesPathPattern('/webp/*', '/webp/ab12/640.webp'); // true
 * matchesPathPattern('*.jpg', '/a/b/c.jpg');             // true: `*` crosses `/`
 * matchesPathPattern('/img/?.png', '/img/ab.png');       // false: `?` is exactly one character
 * matchesPathPattern('/WebP/*', '/webp/x');              // false: case-sensitive
 */
export function matchesPathPattern(pattern: string, path: string): boolean {
  return wildcardMatch(withLeadingSlash(pattern), withLeadingSlash(path));
}

/**
 * The behaviour CloudFront applies to a request: the first ordered behaviour whose pattern matches the normalized
 * path, else the default behaviour.
 */
export function selectBehaviour<T extends PathPatterned>(ordered: readonly T[], fallback: T, rawPath: string): T {
  const path = normalizeRequestPath(rawPath);
  return ordered.find((behaviour) => matchesPathPattern(behaviour.pathPattern, path)) ?? fallback;
}

/**
 * The path as CloudFront compares it with path patterns (RFC 3986 section 6.2.2): percent-encoded unreserved
 * characters decoded (`%7E` is `~`, `%2E` is `.`), other percent-encodings upper-cased, then dot segments removed
 * (`/a/./b/../c` is `/a/c`). Repeated slashes are kept, as RFC 3986 keeps them.
 */
export function normalizeRequestPath(rawPath: string): string {
  const decoded = rawPath.replace(/%([0-9a-fA-F]{2})/g, (_encoding: string, hex: string) => {
    const character = String.fromCharCode(parseInt(hex, 16));
    return /[A-Za-z0-9\-._~]/.test(character) ? character : `%${hex.toUpperCase()}`;
  });
  return removeDotSegments(decoded);
}

function withLeadingSlash(value: string): string {
  return value.startsWith('/') ? value : `/${value}`;
}

/**
 * `*` and `?` wildcard matching without regular expressions (no backtracking blow-up on patterns with many `*`):
 * the classic greedy scan that remembers the last `*` and retries from one character further on a mismatch.
 */
function wildcardMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === '?' || (pattern[p] !== '*' && pattern[p] === text[t]))) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      resume = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/** RFC 3986 section 5.2.4, step by step. */
function removeDotSegments(path: string): string {
  let input = path;
  let output = '';
  while (input.length > 0) {
    if (input.startsWith('../')) input = input.slice(3);
    else if (input.startsWith('./')) input = input.slice(2);
    else if (input.startsWith('/./')) input = input.slice(2);
    else if (input === '/.') input = '/';
    else if (input.startsWith('/../') || input === '/..') {
      input = `/${input.slice(input === '/..' ? 3 : 4)}`;
      output = output.slice(0, Math.max(0, output.lastIndexOf('/')));
    } else if (input === '.' || input === '..') input = '';
    else {
      const next = input.indexOf('/', input.startsWith('/') ? 1 : 0);
      const end = next === -1 ? input.length : next;
      output += input.slice(0, end);
      input = input.slice(end);
    }
  }
  return output;
}
