import { matchesPathPattern, normalizeRequestPath, selectBehaviour } from '../../local/path-pattern';

/** Pattern, path, and whether CloudFront matches them, by the rule each row shows. */
const MATCHES: ReadonlyArray<readonly [rule: string, pattern: string, path: string, matches: boolean]> = [
  ['case-sensitive', '/webp/*', '/webp/a/640.webp', true],
  ['the leading slash is optional', 'webp/*', '/webp/a/640.webp', true],
  ['case-sensitive', '/webp/*', '/WebP/a/640.webp', false],
  ['a whole segment', '/webp/*', '/webpx/a/640.webp', false],
  ['no implicit wildcard', '/webp', '/webp/a', false],
  ['`*` spans `/`', '*.jpg', '/a/b/c.jpg', true],
  ['`*` matches nothing', '/images/*', '/images/', true],
  ['several `*`', '/a/*/c/*.png', '/a/x/y/c/z.png', true],
  ['several `*`, then the rest must match', '/a/*/c/*.png', '/a/x/y/c/z.jpg', false],
  ['`*` alone matches the root', '*', '/', true],
  ['many `*` without backtracking blow-up', '/*a*a*a*a*a*b', `/${'a'.repeat(200)}`, false],
  ['`?` is one character', '/img/?.png', '/img/a.png', true],
  ['`?` is not two', '/img/?.png', '/img/ab.png', false],
  ['`?` is not none', '/img/?.png', '/img/.png', false],
  ['`?` inside a segment', '/v?/*', '/v2/x', true],
];

describe('path patterns', () => {
  test.each(MATCHES)('%s: %s against %s is %s', (_rule, pattern, path, matches) => {
    expect(matchesPathPattern(pattern, path)).toBe(matches);
  });

  test('the first ordered behaviour that matches wins, the default takes the rest', () => {
    const ordered = [{ pathPattern: '/images/special/*', id: 1 }, { pathPattern: '/images/*', id: 2 }, { pathPattern: '/images/special/x', id: 3 }];
    const fallback = { pathPattern: '*', id: 0 };
    expect(selectBehaviour(ordered, fallback, '/images/special/x').id).toBe(1);
    expect(selectBehaviour(ordered, fallback, '/images/other').id).toBe(2);
    expect(selectBehaviour(ordered, fallback, '/nothing/here').id).toBe(0);
  });

  test('are matched against the path normalized as RFC 3986 says', () => {
    expect(normalizeRequestPath('/a/./b/../c')).toBe('/a/c');
    expect(normalizeRequestPath('/%77ebp/%7e/%2E%2E/x%2fy')).toBe('/webp/x%2Fy');
    expect(normalizeRequestPath('/a/b/..')).toBe('/a/');
    const ordered = [{ pathPattern: '/webp/*' }];
    expect(selectBehaviour(ordered, { pathPattern: '*' }, '/images/../webp/x.webp')).toBe(ordered[0]);
    expect(selectBehaviour(ordered, { pathPattern: '*' }, '/%77ebp/x.webp')).toBe(ordered[0]);
  });
});
