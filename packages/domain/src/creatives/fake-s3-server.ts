import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';

/**
 * A small S3 for tests: PutObject and GetObject, path-style, objects in memory. It checks
 * what a real S3 checks — the Signature Version 4 signature (canonical request, string to
 * sign, HMAC chain with the secret), the credential scope, the clock, the payload hash
 * and any checksum header — and refuses a request that fails any of them the way S3
 * does, so a test passing against it says the client really signs correctly.
 */
export interface FakeS3ServerOptions {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** Buckets that exist; any other answers NoSuchBucket. */
  buckets: string[];
}

export interface StoredObject {
  body: Buffer;
  contentType: string | undefined;
}

export interface FakeS3Request {
  method: string;
  url: string;
  status: number;
  /** The S3 error code of a refused request. */
  code?: string;
}

export interface FakeS3Server {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** Every request received, in order. */
  requests: FakeS3Request[];
  object(bucket: string, key: string): StoredObject | undefined;
  close(): Promise<void>;
}

class S3Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const MAX_BODY = 10 * 1024 * 1024;
const MAX_SKEW_MS = 15 * 60 * 1000;
const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/\s]+)\/(\d{8})\/([^/\s]+)\/([^/\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/;

export async function startFakeS3Server(options: FakeS3ServerOptions): Promise<FakeS3Server> {
  const buckets = new Map(options.buckets.map((bucket) => [bucket, new Map<string, StoredObject>()]));
  const requests: FakeS3Request[] = [];

  const server = createServer((request, response) => {
    handle(request, options, buckets)
      .then(({ headers, body }) => {
        requests.push({ method: request.method ?? '', url: request.url ?? '', status: 200 });
        response.writeHead(200, headers).end(body);
      })
      .catch((error: unknown) => {
        const failure = error instanceof S3Error ? error : new S3Error(500, 'InternalError', String(error));
        requests.push({ method: request.method ?? '', url: request.url ?? '', status: failure.status, code: failure.code });
        sendError(response, request.method === 'HEAD', failure);
      });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    object: (bucket, key) => buckets.get(bucket)?.get(key),
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

async function handle(
  request: IncomingMessage,
  options: FakeS3ServerOptions,
  buckets: Map<string, Map<string, StoredObject>>,
): Promise<{ headers: Record<string, string>; body?: Buffer }> {
  const body = await readBody(request);
  const url = request.url ?? '';
  const queryAt = url.indexOf('?');
  const rawPath = queryAt < 0 ? url : url.slice(0, queryAt);
  const rawQuery = queryAt < 0 ? '' : url.slice(queryAt + 1);
  verifySignature(request, rawPath, rawQuery, options);
  verifyPayload(request, body);

  const match = /^\/([^/]+)\/(.+)$/.exec(rawPath);
  if (!match) throw new S3Error(400, 'InvalidRequest', 'this fake answers path-style object requests only: /bucket/key');
  const bucketName = decodeURIComponent(match[1]!);
  const key = decodeURIComponent(match[2]!);
  const bucket = buckets.get(bucketName);
  if (!bucket) throw new S3Error(404, 'NoSuchBucket', 'The specified bucket does not exist');

  if (request.method === 'PUT') {
    if (request.headers['x-amz-copy-source']) throw new S3Error(501, 'NotImplemented', 'CopyObject is not implemented');
    bucket.set(key, { body, contentType: request.headers['content-type'] });
    return { headers: { etag: etagOf(body) } };
  }
  if (request.method === 'GET') {
    const object = bucket.get(key);
    if (!object) throw new S3Error(404, 'NoSuchKey', 'The specified key does not exist.');
    const headers: Record<string, string> = { etag: etagOf(object.body), 'content-length': String(object.body.length) };
    if (object.contentType) headers['content-type'] = object.contentType;
    return { headers, body: object.body };
  }
  throw new S3Error(405, 'MethodNotAllowed', `${request.method} is not implemented by this fake`);
}

function verifySignature(request: IncomingMessage, rawPath: string, rawQuery: string, options: FakeS3ServerOptions): void {
  const authorization = request.headers.authorization;
  if (!authorization) throw new S3Error(403, 'AccessDenied', 'Access Denied');
  const parts = AUTHORIZATION.exec(authorization);
  if (!parts) throw new S3Error(400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed');
  const [, accessKeyId, date, region, service, signedHeaderList, signature] = parts as unknown as string[];
  if (accessKeyId !== options.accessKeyId) throw new S3Error(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
  if (region !== options.region || service !== 's3')
    throw new S3Error(400, 'AuthorizationHeaderMalformed', `the credential scope must be <date>/${options.region}/s3/aws4_request`);

  const amzDate = header(request, 'x-amz-date');
  if (!amzDate || !/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== date)
    throw new S3Error(403, 'AccessDenied', 'x-amz-date is missing or does not match the credential date');
  const signedAt = Date.parse(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13)}`);
  if (!(Math.abs(Date.now() - signedAt) <= MAX_SKEW_MS))
    throw new S3Error(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.');
  const payloadHash = header(request, 'x-amz-content-sha256');
  if (!payloadHash) throw new S3Error(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');

  const signedHeaders = signedHeaderList!.split(';');
  const headers = canonicalHeaderValues(request);
  // What S3 insists on covering: the host, every x-amz-* header, and the content
  // headers it stores or checks.
  const mustSign = ['host', ...[...headers.keys()].filter((name) => name.startsWith('x-amz-') || name === 'content-type' || name === 'content-md5')];
  for (const name of mustSign) {
    if (!signedHeaders.includes(name)) throw new S3Error(403, 'AccessDenied', `${name} must be signed`);
  }
  const sorted = [...signedHeaders].sort();
  if (sorted.join(';') !== signedHeaderList || new Set(sorted).size !== sorted.length)
    throw new S3Error(403, 'SignatureDoesNotMatch', 'SignedHeaders must be sorted and unique');

  const canonicalRequest = [
    request.method,
    canonicalUri(rawPath),
    canonicalQuery(rawQuery),
    signedHeaders.map((name) => `${name}:${headers.get(name) ?? ''}\n`).join(''),
    signedHeaderList,
    payloadHash,
  ].join('\n');
  const scope = `${date}/${region}/s3/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  let key = hmac(`AWS4${options.secretAccessKey}`, date!);
  for (const part of [region!, 's3', 'aws4_request']) key = hmac(key, part);
  const expected = Buffer.from(hmac(key, stringToSign).toString('hex'));
  if (!timingSafeEqual(expected, Buffer.from(signature!)))
    throw new S3Error(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
}

/** The body against what the signed headers say about it. */
function verifyPayload(request: IncomingMessage, body: Buffer): void {
  const payloadHash = header(request, 'x-amz-content-sha256')!;
  if (payloadHash.startsWith('STREAMING-'))
    throw new S3Error(501, 'NotImplemented', `this fake does not decode aws-chunked uploads (${payloadHash}); the client should send the body whole`);
  if (payloadHash !== 'UNSIGNED-PAYLOAD' && payloadHash !== sha256Hex(body))
    throw new S3Error(400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");

  const md5 = header(request, 'content-md5');
  if (md5 !== undefined && md5 !== createHash('md5').update(body).digest('base64'))
    throw new S3Error(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
  for (const name of canonicalHeaderValues(request).keys()) {
    const algorithm = /^x-amz-checksum-(.+)$/.exec(name)?.[1];
    if (!algorithm || algorithm === 'mode' || algorithm === 'type' || algorithm === 'algorithm') continue;
    const computed = checksum(algorithm, body);
    if (computed === undefined) throw new S3Error(501, 'NotImplemented', `this fake does not compute ${algorithm} checksums`);
    if (computed !== header(request, name))
      throw new S3Error(400, 'BadDigest', `The ${algorithm.toUpperCase()} you specified did not match the calculated checksum.`);
  }
}

function checksum(algorithm: string, body: Buffer): string | undefined {
  if (algorithm === 'crc32') {
    const value = Buffer.alloc(4);
    value.writeUInt32BE(crc32(body));
    return value.toString('base64');
  }
  if (algorithm === 'sha1' || algorithm === 'sha256') return createHash(algorithm).update(body).digest('base64');
  return undefined;
}

/** Header values as SigV4 canonicalises them: lower-case names, repeated headers joined
 *  with commas, surrounding spaces trimmed, inner runs of spaces collapsed. */
function canonicalHeaderValues(request: IncomingMessage): Map<string, string> {
  const values = new Map<string, string[]>();
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    const name = request.rawHeaders[i]!.toLowerCase();
    const value = request.rawHeaders[i + 1]!.trim().replace(/\s+/g, ' ');
    values.set(name, [...(values.get(name) ?? []), value]);
  }
  return new Map([...values].map(([name, list]) => [name, list.join(',')]));
}

function header(request: IncomingMessage, name: string): string | undefined {
  return canonicalHeaderValues(request).get(name);
}

/** S3 signs the path URI-encoded once, `/` kept. */
function canonicalUri(rawPath: string): string {
  return rawPath
    .split('/')
    .map((segment) => uriEncode(decode(segment)))
    .join('/');
}

function canonicalQuery(rawQuery: string): string {
  if (!rawQuery) return '';
  return rawQuery
    .split('&')
    .map((pair) => {
      const at = pair.indexOf('=');
      const name = at < 0 ? pair : pair.slice(0, at);
      const value = at < 0 ? '' : pair.slice(at + 1);
      return [uriEncode(decode(name)), uriEncode(decode(value))] as const;
    })
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

/** RFC 3986 unreserved characters stay; everything else is %XX, upper case. */
function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new S3Error(400, 'InvalidURI', "Couldn't parse the specified URI.");
  }
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new S3Error(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed object size.');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function sendError(response: ServerResponse, head: boolean, error: S3Error): void {
  const xml =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${error.code}</Code><Message>${escapeXml(error.message)}</Message><RequestId>fake</RequestId></Error>`;
  response.writeHead(error.status, { 'content-type': 'application/xml', 'x-amz-request-id': 'fake' }).end(head ? undefined : xml);
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function etagOf(body: Buffer): string {
  return `"${createHash('md5').update(body).digest('hex')}"`;
}

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}
