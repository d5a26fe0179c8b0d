// The dashboard: the same data reached two ways. Writes go over HTTP (each call logged left);
// each table is a live query over the WebSocket (logged right): the filter box and the status
// select are the REST list's own filters, subscribed to — a snapshot of the rows they select,
// then every change that makes a row enter, change in or leave them — kept by the typed client
// (src/client/index.ts, served as /assets/boutique-client.js), which also reconnects and resumes.
// Received text only ever goes through textContent.
import { Boutique } from '/assets/boutique-client.js';

(function () {
  'use strict';

  var customers = new Map(); // id → customer, as the customers query selects them (the live query's rows)
  var orders = new Map(); // id → order, as the orders query selects them (the live query's rows)
  var names = new Map(); // customer id → name, from every customer seen (the orders table shows them)
  var selected = null; // customer id whose orders are shown and the form adds to
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, props, children) {
    var node = document.createElement(tag);
    if (props) Object.keys(props).forEach(function (k) {
      if (k === 'text') node.textContent = props[k];
      else if (k === 'className') node.className = props[k];
      else if (k.indexOf('on') === 0) node.addEventListener(k.slice(2), props[k]);
      else node.setAttribute(k, props[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }

  function time() { return new Date().toLocaleTimeString([], { hour12: false }); }

  function pushLog(list, cells) {
    var li = el('li', { className: 'new' }, cells);
    list.insertBefore(li, list.firstChild);
    while (list.children.length > 300) list.removeChild(list.lastChild);
  }

  // ---- HTTP ---------------------------------------------------------------------------
  function api(method, path, body) {
    var headers = { Accept: 'application/json' };
    var token = $('token').value.trim();
    if (token) headers.Authorization = 'Bearer ' + token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    var started = performance.now();
    return fetch(path, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (res) {
        var ms = performance.now() - started;
        pushLog($('http-log'), [
          el('span', { className: 't', text: time() }),
          el('span', { className: 'm', text: method }),
          el('span', { text: path }),
          el('span', { className: 's-' + String(res.status)[0], text: res.status + ' · ' + ms.toFixed(1) + ' ms' }),
        ]);
        var position = Number(res.headers.get('Boutique-Log-Position') || 0);
        if (res.status === 204) return { ok: true, status: 204, body: null, position: position };
        return res.json().then(function (json) { return { ok: res.ok, status: res.status, body: json, position: position }; });
      });
  }

  function showError(id, result) {
    var box = $(id);
    if (!result || result.ok) { box.hidden = true; return; }
    var p = result.body || {};
    box.hidden = false;
    box.textContent = result.status + ' ' + (p.title || '') + ': ' + (p.detail || '');
  }

  // ---- rendering ----------------------------------------------------------------------
  function money(cents) { return (cents / 100).toFixed(2); }

  function flash(row) { row.classList.remove('flash'); void row.offsetWidth; row.classList.add('flash'); }

  function renderCustomers(flashId) {
    var body = $('customers').tBodies[0];
    body.textContent = '';
    var list = Array.from(customers.values()).sort(function (a, b) { return b.id - a.id; });
    list.forEach(function (c) {
      var row = el('tr', { 'data-id': String(c.id), className: c.id === selected ? 'selected' : '' }, [
        el('td', { text: String(c.id) }),
        el('td', { className: 'name', text: c.name }),
        el('td', { text: c.email }),
        el('td', {}, [el('div', { className: 'actions' }, [
          el('button', { className: 'small ghost', type: 'button', text: 'Rename', onclick: function (e) { e.stopPropagation(); rename(c); } }),
          el('button', { className: 'small danger', type: 'button', text: 'Delete', onclick: function (e) { e.stopPropagation(); removeCustomer(c); } }),
        ])]),
      ]);
      row.addEventListener('click', function () { select(c.id); });
      body.appendChild(row);
      if (c.id === flashId) flash(row);
    });
    $('customer-count').textContent = '(' + customers.size + ')';
  }

  function renderOrders(flashId) {
    var body = $('orders').tBodies[0];
    body.textContent = '';
    var list = Array.from(orders.values()).sort(function (a, b) { return b.id - a.id; });
    list.forEach(function (o) {
      var next = { pending: ['paid', 'cancelled'], paid: ['shipped', 'cancelled'], shipped: [], cancelled: [] }[o.status] || [];
      var status = el('select', { className: 'status', 'aria-label': 'Status of order ' + o.id }, [o.status].concat(next).map(function (s) {
        var opt = el('option', { text: s });
        opt.value = s;
        return opt;
      }));
      status.disabled = next.length === 0;
      status.addEventListener('change', function () { changeStatus(o, status.value); });
      var row = el('tr', { 'data-order': String(o.id) }, [
        el('td', { text: String(o.id) }),
        el('td', { text: names.get(o.customerId) || '#' + o.customerId }),
        el('td', { text: o.items.map(function (i) { return i.sku + ' ×' + i.quantity; }).join(', ') }),
        el('td', { text: money(o.total) }),
        el('td', {}, [status]),
        el('td', {}, [el('button', { className: 'small danger', type: 'button', text: 'Delete', onclick: function () { removeOrder(o); } })]),
      ]);
      body.appendChild(row);
      if (o.id === flashId) flash(row);
    });
    $('order-count').textContent = '(' + list.length + ')';
    var name = selected === null ? null : names.get(selected) || '#' + selected;
    $('orders-title').firstChild.textContent = name !== null ? 'Orders of ' + name + ' ' : 'Orders ';
    $('new-order').hidden = selected === null;
    $('order-hint').hidden = selected !== null;
    $('show-all-orders').hidden = selected === null;
  }

  function select(id) {
    selected = selected === id ? null : id;
    renderCustomers();
    watch('orders');
  }

  // ---- actions (all through the REST API) ------------------------------------------------
  function rename(c) {
    var name = window.prompt('New name for ' + c.name, c.name);
    if (name === null || name.trim() === '') return;
    api('PATCH', '/customers/' + c.id, { name: name.trim() }).then(function (r) { showError('customer-error', r); });
  }

  function removeCustomer(c) {
    if (!window.confirm('Delete ' + c.name + ' and their orders?')) return;
    api('DELETE', '/customers/' + c.id).then(function (r) { showError('customer-error', r); });
  }

  function changeStatus(o, status) {
    api('PATCH', '/customers/' + o.customerId + '/orders/' + o.id, { status: status }).then(function (r) {
      showError('order-error', r);
      if (!r.ok) renderOrders();
    });
  }

  function removeOrder(o) {
    api('DELETE', '/customers/' + o.customerId + '/orders/' + o.id).then(function (r) { showError('order-error', r); });
  }

  $('new-customer').addEventListener('submit', function (e) {
    e.preventDefault();
    var form = e.target;
    api('POST', '/customers', { customer: { name: form.name.value.trim(), email: form.email.value.trim() } }).then(function (r) {
      showError('customer-error', r);
      if (r.ok) form.reset();
    });
  });

  $('new-order').addEventListener('submit', function (e) {
    e.preventDefault();
    var form = e.target;
    if (selected === null) return;
    var item = { sku: form.sku.value.trim(), quantity: Number(form.quantity.value), unitPrice: Number(form.unitPrice.value) };
    api('POST', '/customers/' + selected + '/orders', { order: { items: [item] } }).then(function (r) {
      showError('order-error', r);
      if (r.ok) form.reset();
    });
  });

  var typing = null;
  $('filter').addEventListener('input', function () {
    clearTimeout(typing);
    typing = setTimeout(function () { watch('customers'); }, 250);
  });
  $('status-filter').addEventListener('change', function () { watch('orders'); });
  $('show-all-orders').addEventListener('click', function () { select(selected); });
  document.querySelectorAll('[data-clear]').forEach(function (b) {
    b.addEventListener('click', function () { $(b.getAttribute('data-clear')).textContent = ''; });
  });
  $('token').value = sessionStorage.getItem('boutique-token') || '';
  $('token').addEventListener('change', function () {
    sessionStorage.setItem('boutique-token', $('token').value.trim());
    shop.options.token = $('token').value.trim() || undefined;
    watch('customers', true);
    watch('orders', true);
  });

  // ---- live queries over the WebSocket, through the client ----------------------------------
  var shop = new Boutique({ token: $('token').value.trim() || undefined });
  var socket = shop.socket();
  var views = { customers: { live: null }, orders: { live: null } };

  function canonical(path, filters) {
    var params = new URLSearchParams();
    Object.keys(filters).sort().forEach(function (k) { if (filters[k] !== '' && filters[k] != null) params.append(k, String(filters[k])); });
    var search = params.toString();
    return search ? path + '?' + search : path;
  }

  function queryOf(name) {
    if (name === 'customers') return canonical('/customers', { q: $('filter').value.trim() });
    var status = $('status-filter').value;
    return selected === null ? canonical('/orders', { status: status }) : canonical('/customers/' + selected + '/orders', { status: status });
  }

  /** (Re)starts a table's live query: after a filter changed (or the token). */
  function watch(name, force) {
    var view = views[name];
    var query = queryOf(name);
    if (view.live && view.live.requested === query && !force) return;
    if (view.live) view.live.close();
    var live = socket.watch(query);
    view.live = live;
    if (name === 'customers') customers = live.rows;
    else orders = live.rows;
    live.on('change', function (rows, frame) {
      if (view.live !== live) return;
      if (name === 'customers') rows.forEach(function (c) { names.set(c.id, c.name); });
      if (name === 'customers' && frame.action === 'deleted' && selected === frame.data.id) select(frame.data.id);
      if (name === 'customers') renderCustomers(frame.type === 'event' ? frame.data.id : undefined);
      renderOrders(name === 'orders' && frame.type === 'event' ? frame.data.id : undefined);
    });
    if (name === 'customers') renderCustomers();
    renderOrders();
  }

  function logLine(kind, className, text, seq) {
    pushLog($('socket-log'), [
      el('span', { className: 't', text: time() }),
      el('span', { className: className, text: kind }),
      el('span', { text: text }),
      el('span', { className: 't', text: seq === undefined ? '' : 'seq ' + seq }),
    ]);
  }

  socket.on('frame', function (msg) {
    if (msg.type === 'snapshot') logLine('snapshot', 'm', msg.query + ' · ' + msg.data.length + ' rows', msg.seq);
    else if (msg.type === 'event') logLine(msg.action, 'a-' + msg.action, msg.query + ' #' + msg.data.id + (msg.data.name ? ' ' + msg.data.name : msg.data.status ? ' ' + msg.data.status : ''), msg.seq);
    else if (msg.type === 'reset') logLine('reset', 'a-deleted', msg.query, msg.seq);
    else if (msg.type === 'subscribed') logLine('subscribed', 'm', msg.query, msg.seq);
    else if (msg.type === 'resumed') logLine('resumed', 'm', msg.missed + ' missed', msg.seq);
    else if (msg.type === 'error') logLine('error', 'a-deleted', (msg.query ? msg.query + ': ' : '') + msg.message);
  });
  socket.on('status', function (frame) {
    var state = $('socket-state');
    state.textContent = frame.status === 'open' ? 'socket: live' : frame.status === 'connecting' ? 'socket: connecting…' : 'socket: reconnecting…';
    state.className = frame.status === 'open' ? 'pill pill-on' : 'pill pill-off';
  });

  watch('customers');
  watch('orders');
})();
