import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { BoutiqueError } from '../errors.js';
import { indexPage } from './index-page.js';
import { PAGE_CSP } from '../http/security-headers.js';

const PUBLIC_DIR = fileURLToPath(new URL('../../public/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/**
 * The pages and their assets are a handful of small files: read once at boot and served from
 * memory with an ETag, instead of a disk read per request.
 */
function loadAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!existsSync(PUBLIC_DIR)) return assets;
  for (const name of readdirSync(PUBLIC_DIR)) {
    const type = TYPES[extname(name)];
    if (!type) continue;
    assets.set(name, assetOf(readFileSync(join(PUBLIC_DIR, name)), type));
  }
  return assets;
}

const CSP = PAGE_CSP;

/** The name the pages load the typed client (src/client/index.ts) by. */
export const CLIENT_ASSET = 'boutique-client.js';

/**
 * The typed client as a browser module: compiled by the build (dist/client/index.js, next to
 * this module's dist/pages/); when the server runs from its TypeScript sources (tests, `npm run
 * dev`), transpiled from src/client/index.ts once at boot. It has no imports at run time.
 */
async function clientScript(): Promise<Buffer | undefined> {
  const compiled = fileURLToPath(new URL('../client/index.js', import.meta.url));
  if (existsSync(compiled)) return readFileSync(compiled);
  const source = fileURLToPath(new URL('../client/index.ts', import.meta.url));
  if (!existsSync(source)) return undefined;
  const ts = await import('typescript');
  const { outputText } = ts.default.transpileModule(readFileSync(source, 'utf8'), { compilerOptions: { module: ts.default.ModuleKind.ES2022, target: ts.default.ScriptTarget.ES2022 } });
  return Buffer.from(outputText);
}

const assetOf = (body: Buffer, type: string): Asset => ({ body, type, etag: '"' + createHash('sha1').update(body).digest('base64url').slice(0, 16) + '"' });

export const pageRoutes: FastifyPluginAsync = async (app) => {
  const assets = loadAssets();
  const client = await clientScript();
  if (client) assets.set(CLIENT_ASSET, assetOf(client, TYPES['.js']!));

  const serve = (name: string) => async (request: FastifyRequest, reply: FastifyReply) => {
    const asset = assets.get(name);
    if (!asset) throw new BoutiqueError('NOT_FOUND', `Nothing is at ${request.url}.`);
    reply.header('etag', asset.etag).header('cache-control', 'no-cache');
    if (asset.type.startsWith('text/html')) reply.header('content-security-policy', CSP);
    if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
    return reply.type(asset.type).send(asset.body);
  };

  app.get('/', { schema: { hide: true } }, async (request, reply) => reply.type('text/html; charset=utf-8').header('content-security-policy', CSP).send(indexPage(request)));
  app.get('/chat', { schema: { hide: true } }, serve('chat.html'));
  app.get('/dashboard', { schema: { hide: true } }, serve('dashboard.html'));
  app.get<{ Params: { file: string } }>('/assets/:file', { schema: { hide: true } }, async (request, reply) => serve(request.params.file)(request, reply));
};
