import { describe, expect, it } from 'vitest';
import { checkDestination, normalizeDomain } from './destination-url';

const allowed = ['shoes.example', 'xn--mller-kva.example'];

describe('checkDestination', () => {
  it.each([
    ['https://shoes.example/', 'https://shoes.example/'],
    ['https://shoes.example/boots?size=42#top', 'https://shoes.example/boots?size=42#top'],
    ['http://www.shoes.example/a', 'http://www.shoes.example/a'],
    ['https://SHOES.EXAMPLE/Path', 'https://shoes.example/Path'],
    ['https://shoes.example./x', 'https://shoes.example./x'],
    ['https://müller.example/', 'https://xn--mller-kva.example/'],
  ])('accepts %s', (raw, normalised) => {
    expect(checkDestination(raw, allowed)).toEqual({ ok: true, url: normalised });
  });

  it.each([
    ['another domain', 'https://evil.example/'],
    ['a suffix that is not a subdomain', 'https://evilshoes.example/'],
    ['the allowed domain as a subdomain of another', 'https://shoes.example.evil.com/'],
    ['protocol-relative', '//evil.com/shoes.example'],
    ['credentials trick', 'https://shoes.example@evil.com/'],
    ['credentials on the allowed host', 'https://user:pw@shoes.example/'],
    ['backslash trick', 'https://evil.com\\@shoes.example/'],
    ['backslash host', 'https:\\\\evil.com'],
    ['javascript scheme', 'javascript:alert(1)//shoes.example'],
    ['data scheme', 'data:text/html,<script>alert(1)</script>'],
    ['encoded javascript', 'java%73cript:alert(1)'],
    ['IDN look-alike (Cyrillic o)', 'https://shоes.example/'],
    ['encoded host separator', 'https://evil.com%2f@shoes.example/'],
    ['relative path', '/boots'],
    ['whitespace prefix', ' https://shoes.example/'],
    ['newline injection', 'https://shoes.example/\r\nSet-Cookie:x=1'],
    ['tab in host', 'https://sho\tes.example/'],
    ['ftp', 'ftp://shoes.example/'],
    ['IP address', 'https://127.0.0.1/'],
  ])('refuses %s', (_name, raw) => {
    const result = checkDestination(raw, allowed);
    expect(result.ok).toBe(false);
  });

  it('refuses everything when no domain is allowed', () => {
    expect(checkDestination('https://shoes.example/', []).ok).toBe(false);
  });
});

describe('normalizeDomain', () => {
  it.each([
    ['Shoes.Example', 'shoes.example'],
    ['https://shoes.example/', 'shoes.example'],
    ['müller.example', 'xn--mller-kva.example'],
    ['sub.shoes.example.', 'sub.shoes.example'],
  ])('%s → %s', (input, out) => expect(normalizeDomain(input)).toBe(out));

  it.each([
    '',
    'localhost',
    '127.0.0.1',
    'user@shoes.example',
    'shoes.example:8080',
    'sho es.example',
    'evil.com\\x',
    '-bad.example',
    `${'a'.repeat(64)}.example`,
  ])('refuses %j', (input) => expect(normalizeDomain(input)).toBeNull());
});
