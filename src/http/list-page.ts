import type { FastifyRequest } from 'fastify';
import { html, type Html } from './html.js';

/** A page of a list as the views see it; its JSON is `items` alone. */
export interface ListPage<T> {
  items: T[];
  page: number;
  perPage: number;
  total: number;
}

export function lastPage(list: ListPage<unknown>): number {
  return Math.max(1, Math.ceil(list.total / list.perPage));
}

/** Previous/next links and a search box for the browsable list pages. */
export function pager(list: ListPage<unknown>, request: FastifyRequest): Html {
  const [path, search = ''] = request.url.split('?', 2) as [string, string?];
  const at = (p: number) => {
    const params = new URLSearchParams(search);
    params.set('page', String(p));
    params.set('per_page', String(list.perPage));
    return `${path}?${params.toString()}`;
  };
  const last = lastPage(list);
  return html`<nav class="pager">
  ${list.page > 1 ? html`<a href="${at(1)}">« first</a> <a href="${at(list.page - 1)}">‹ prev</a>` : html`<span class="muted">« first ‹ prev</span>`}
  <span>page ${list.page} of ${last} · ${list.total} in all</span>
  ${list.page < last ? html`<a href="${at(list.page + 1)}">next ›</a> <a href="${at(last)}">last »</a>` : html`<span class="muted">next › last »</span>`}
</nav>`;
}

export function searchBox(request: FastifyRequest, placeholder: string): Html {
  const q = new URLSearchParams(request.url.split('?', 2)[1] ?? '').get('q') ?? '';
  return html`<form class="search" method="get"><input type="search" name="q" value="${q}" placeholder="${placeholder}" aria-label="Search"><button>Search</button></form>`;
}
