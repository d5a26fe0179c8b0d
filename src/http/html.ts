/** HTML building blocks for the browsable API and the error pages: every value goes through `escapeHtml`. */
import type { FastifyRequest } from 'fastify';

/** A link of the pages' navigation: the app decorates itself with the registry's (src/app.ts). */
export interface NavLink {
  label: string;
  href: string;
  /** One line for the home page's tile. */
  description: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The navigation every page shows: the registry's resources, then the pages and documents. */
    navigation: readonly NavLink[];
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Tagged template that escapes every interpolation unless it is already `Html`. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new Html(out);
}

function render(value: unknown): string {
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(value);
}

export const raw = (value: string): Html => new Html(value);

export interface PageOptions {
  title: string;
  /** Breadcrumb trail: [label, href] pairs; the last one is the current page. */
  crumbs?: [string, string][];
  body: Html;
  /** Shows "curl" hints for this path. */
  path?: string;
}

/** A whole HTML page; its navigation is the app's (`request.server.navigation`). */
export function page(request: FastifyRequest, { title, crumbs = [], body, path }: PageOptions): string {
  const navigation = request.server.navigation ?? [];
  return (
    '<!doctype html>\n' +
    html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Boutique</title>
<link rel="stylesheet" href="/assets/app.css">
<script src="/assets/browse.js" defer></script>
</head>
<body>
<header class="topbar">
  <a class="brand" href="/">Boutique</a>
  <nav>
    ${navigation.map((link) => html`<a href="${link.href}">${link.label}</a>`)}
  </nav>
</header>
<main>
  ${crumbs.length ? html`<nav class="crumbs">${crumbs.map(([label, href], i) => (i === crumbs.length - 1 ? html`<span>${label}</span>` : html`<a href="${href}">${label}</a> / `))}</nav>` : ''}
  <h1>${title}</h1>
  ${body}
  ${path ? html`<details class="hint"><summary>Same data from a terminal</summary><pre>curl -H 'Accept: application/json' http://HOST${path}
curl -H 'Accept: text/plain' http://HOST${path}${path.split('?')[0]!.split('/').length === 2 || path.endsWith('/orders') ? `\ncurl -H 'Accept: text/csv' http://HOST${path}` : ''}</pre></details>` : ''}
</main>
</body>
</html>
`.value
  );
}
