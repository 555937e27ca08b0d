import { DEMO, DEMO_LOGINS } from './seed-demo';

export interface BannerFacts {
  publicUrl: string;
  postgres: string;
  redis: string;
  seeded: boolean;
  existingNetworks: number;
}

/** The lines a developer reads after `pnpm start`: where it runs and how to sign in. */
export function renderBanner(facts: BannerFacts): string {
  const rule = '─'.repeat(72);
  const width = Math.max(...DEMO_LOGINS.map((l) => l.role.length));
  const logins = DEMO_LOGINS.map((l) => `    ${l.role.padEnd(width)}  ${l.email}  /  ${l.password}`);
  const database = facts.seeded
    ? 'Seeded a demo network into the empty database.'
    : `Using the existing database (${facts.existingNetworks} network(s)); nothing was seeded.`;
  return [
    '',
    rule,
    '  Affiliate network platform is running',
    '',
    `  API        ${facts.publicUrl}`,
    `  API docs   ${facts.publicUrl}/docs`,
    `  Postgres   ${facts.postgres}`,
    `  Redis      ${facts.redis}`,
    '',
    `  ${database}`,
    facts.seeded ? `  Demo logins (network "${DEMO.network.slug}"):` : `  Demo logins (network "${DEMO.network.slug}", if it was seeded by an earlier start):`,
    ...logins,
    '',
    `  Sign in:   POST ${facts.publicUrl}/v1/auth/login {"network":"${DEMO.network.slug}","email":…,"password":…}`,
    '  Stop with Ctrl-C.',
    rule,
    '',
  ].join('\n');
}
