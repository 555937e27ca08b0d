import { once } from 'node:events';
import { createServer, type Server } from 'node:http';

/**
 * A merchant's site for browser tests: every path answers the same landing page, which
 * embeds the tracker the way merchants are told to (docs/tracker.md). It listens on
 * 127.0.0.1; pages are opened as http://<name>.localhost:<port>/, which Chromium resolves
 * to loopback without any DNS, so the page has a host name of its own (its own cookies,
 * an Origin the API can check) distinct from the API's 127.0.0.1.
 */
export interface LandingSite {
  port: number;
  /** http://<host>.localhost:<port> */
  origin(host: string): string;
  close(): Promise<void>;
}

export interface Embed {
  scriptSrc: string;
  publishableKey: string;
  programId: string;
}

/** `embed` is read per request: the program's landing URL needs the site's port, and the
 *  page needs the program. */
export async function startLandingSite(embed: () => Embed): Promise<LandingSite> {
  const render = ({ scriptSrc, publishableKey, programId }: Embed) => `<!doctype html>
<html lang="en"><meta charset="utf-8"><title>Shoes</title>
<script>window.aff = window.aff || [];</script>
<script async src="${scriptSrc}" data-key="${publishableKey}" data-program="${programId}"></script>
<body><h1>Shoes</h1><p>Landing page.</p></body></html>`;
  const server: Server = createServer((request, response) => {
    if (request.url === '/favicon.ico') {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(render(embed()));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    port,
    origin: (host) => `http://${host}.localhost:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
