import { describe, expect, it } from 'vitest';
import { renderBanner } from './banner';
import { DEMO_LOGINS } from './seed-demo';

const facts = { publicUrl: 'http://localhost:3000', postgres: 'postgres://…', redis: 'redis://…', existingNetworks: 0 };

describe('renderBanner', () => {
  it('shows the URL, the docs and every demo login', () => {
    const banner = renderBanner({ ...facts, seeded: true });
    expect(banner).toContain('http://localhost:3000/docs');
    expect(banner).toContain('Seeded a demo network');
    for (const login of DEMO_LOGINS) expect(banner).toContain(`${login.email}  /  ${login.password}`);
  });

  it('says when the existing database was used', () => {
    expect(renderBanner({ ...facts, seeded: false, existingNetworks: 2 })).toContain('Using the existing database (2 network(s))');
  });

  it('lists the network owner login in the shape scripts/smoke-start.sh reads', () => {
    const line = renderBanner({ ...facts, seeded: true })
      .split('\n')
      .find((l) => l.includes('network owner'));
    const fields = line?.trim().split(/\s+/) ?? [];
    expect([fields[2], fields[4]]).toEqual([DEMO_LOGINS[0]!.email, DEMO_LOGINS[0]!.password]);
  });
});
