import { html, page, type Html } from '../../http/html.js';
import { csvRows, type View } from '../../http/representation.js';
import { pager, searchBox, type ListPage } from '../../http/list-page.js';
import { ORDER_STATUSES, TRANSITIONS, type Order } from './schema.js';
import { formatCents } from './presenter.js';

const CSV_HEADER = ['id', 'customerId', 'status', 'total', 'items', 'createdAt', 'updatedAt'] as const;
const itemsText = (o: Order) => o.items.map((i) => `${i.sku} x${i.quantity} @${i.unitPrice}`).join('; ');
const csvRow = (o: Order) => [o.id, o.customerId, o.status, o.total, itemsText(o), o.createdAt, o.updatedAt];
const itemsLines = (o: Order) => o.items.map((i) => `${i.sku} ${i.quantity} ${i.unitPrice}`).join('\n');

const statusBadge = (s: string): Html => html`<span class="badge status-${s}">${s}</span>`;

export const orderView: View<Order> = {
  html: (o, request) =>
    page(request, {
      title: `Order ${o.id}`,
      crumbs: [['Customers', '/customers'], [`Customer ${o.customerId}`, `/customers/${o.customerId}`], ['Orders', `/customers/${o.customerId}/orders`], [`Order ${o.id}`, '']],
      path: `/customers/${o.customerId}/orders/${o.id}`,
      body: html`<dl class="record">
  <dt>id</dt><dd>${o.id}</dd>
  <dt>customer</dt><dd><a href="/customers/${o.customerId}">${o.customerId}</a></dd>
  <dt>status</dt><dd>${statusBadge(o.status)}</dd>
  <dt>total</dt><dd>${formatCents(o.total)} <span class="muted">(${o.total} cents)</span></dd>
  <dt>created</dt><dd><time>${o.createdAt}</time></dd>
  <dt>updated</dt><dd><time>${o.updatedAt}</time></dd>
</dl>
<table class="grid"><thead><tr><th>sku</th><th>quantity</th><th>unit price</th><th>line</th></tr></thead>
<tbody>${o.items.map((i) => html`<tr><td>${i.sku}</td><td>${i.quantity}</td><td>${formatCents(i.unitPrice)}</td><td>${formatCents(i.quantity * i.unitPrice)}</td></tr>`)}</tbody></table>
<section class="forms">
  <form class="card" data-method="PATCH" action="/customers/${o.customerId}/orders/${o.id}">
    <h2>Change status</h2>
    <label>Status <select name="status">${[o.status, ...TRANSITIONS[o.status]].map((s) => html`<option ${s === o.status ? 'selected' : ''}>${s}</option>`)}</select></label>
    ${o.status === 'pending' ? html`<label>Items <span class="muted">(one per line: sku quantity unitPriceInCents)</span><textarea name="items" rows="4">${itemsLines(o)}</textarea></label>` : ''}
    <button>Save (PATCH)</button>
  </form>
  <form class="card danger" data-method="DELETE" data-confirm="Delete order ${o.id}?" action="/customers/${o.customerId}/orders/${o.id}" data-then="/customers/${o.customerId}/orders">
    <h2>Delete</h2><button>Delete (DELETE)</button>
  </form>
</section>`,
    }),
  text: (o) =>
    `id: ${o.id}\ncustomerId: ${o.customerId}\nstatus: ${o.status}\ntotal: ${o.total}\n` +
    o.items.map((i) => `item: ${i.sku} x${i.quantity} @${i.unitPrice}`).join('\n') +
    `\ncreatedAt: ${o.createdAt}\nupdatedAt: ${o.updatedAt}\n`,
  csv: (o) => csvRows(CSV_HEADER, [csvRow(o)]),
};

/** `customerId` is set when the list is one customer's orders: the page then offers a form to create one. */
export function orderListView(customerId?: number): View<ListPage<Order>> {
  const title = customerId === undefined ? 'Orders' : `Orders of customer ${customerId}`;
  return {
    html: (list, request) =>
      page(request, {
        title,
        crumbs:
          customerId === undefined
            ? [['Orders', '/orders']]
            : [['Customers', '/customers'], [`Customer ${customerId}`, `/customers/${customerId}`], ['Orders', '']],
        path: customerId === undefined ? '/orders' : `/customers/${customerId}/orders`,
        body: html`${searchBox(request, 'Search by SKU')}
<nav class="filters">status: <a href="?">all</a> ${ORDER_STATUSES.map((s) => html`<a href="?status=${s}">${s}</a> `)}</nav>
<table class="grid">
  <thead><tr><th>id</th><th>customer</th><th>status</th><th>items</th><th>total</th><th>created</th></tr></thead>
  <tbody>${list.items.map(
    (o) => html`<tr><td><a href="/customers/${o.customerId}/orders/${o.id}">${o.id}</a></td><td><a href="/customers/${o.customerId}">${o.customerId}</a></td><td>${statusBadge(o.status)}</td><td>${itemsText(o)}</td><td>${formatCents(o.total)}</td><td><time>${o.createdAt}</time></td></tr>`,
  )}</tbody>
</table>
${list.items.length === 0 ? html`<p class="empty">No orders match.</p>` : ''}
${pager(list, request)}
${customerId === undefined ? '' : html`<form class="card" method="post" action="/customers/${customerId}/orders">
  <h2>New order</h2>
  <label>Items <span class="muted">(one per line: sku quantity unitPriceInCents)</span><textarea name="items" rows="4" required placeholder="TSHIRT-M 2 1999"></textarea></label>
  <button>Create (POST)</button>
</form>`}`,
      }),
    text: (list) =>
      list.items.map((o) => `${o.id}\tcustomer ${o.customerId}\t${o.status}\t${o.total}\t${itemsText(o)}`).join('\n') +
      (list.items.length ? '\n' : '') +
      `# page ${list.page}, ${list.items.length} of ${list.total}\n`,
    csv: (list) => csvRows(CSV_HEADER, list.items.map(csvRow)),
  };
}
