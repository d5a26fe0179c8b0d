// The /chat page: Boutique's chat protocol (docs/chat-protocol.md) through the typed client
// (src/client/index.ts, served as /assets/boutique-client.js), which connects, reconnects with
// backoff and resumes the session. Received names and texts arrive HTML-escaped (for MDN's
// innerHTML client); this page decodes them and renders with textContent only, never innerHTML.
import { Boutique } from '/assets/boutique-client.js';

(function () {
  'use strict';

  var $ = function (id) { return document.getElementById(id); };
  var els = {
    status: $('status'), nameForm: $('name-form'), name: $('name'), me: $('me'),
    rooms: $('rooms'), roomForm: $('room-form'), room: $('room'), users: $('users'), userCount: $('user-count'),
    roomTitle: $('room-title'), messages: $('messages'), sendForm: $('send-form'), text: $('text'), toast: $('toast'),
  };

  var state = {
    socket: null,        // the client's socket: it keeps the session and the last seq, and resumes
    id: null,
    name: null,          // the name the server gave us
    wanted: localStorage.getItem('boutique.chat.name') || '',
    room: 'lobby',
    rooms: ['lobby'],
    shown: new Set(),    // seqs on screen: a last guard against duplicates
  };
  els.name.value = state.wanted;

  var ENTITIES = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };
  function decode(s) { return String(s == null ? '' : s).replace(/&(amp|lt|gt|quot|#39);/g, function (e) { return ENTITIES[e]; }); }

  function setStatus(kind, text) { els.status.dataset.state = kind; els.status.textContent = text; }

  var toastTimer;
  function toast(text) {
    els.toast.textContent = text;
    els.toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { els.toast.hidden = true; }, 4000);
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function scrollDown(force) {
    var m = els.messages;
    if (force || m.scrollHeight - m.scrollTop - m.clientHeight < 120) m.scrollTop = m.scrollHeight;
  }

  function timeOf(date) {
    var d = new Date(typeof date === 'number' ? date : Date.now());
    return isNaN(d.getTime()) ? '' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }

  function addMessage(msg, opts) {
    if (typeof msg.seq === 'number' && !(opts && opts.history)) {
      if (state.shown.has(msg.seq)) return;
      state.shown.add(msg.seq);
    }
    var li = el('li', 'message');
    var name = decode(msg.name);
    if (name === state.name) li.classList.add('mine');
    if (msg.target) li.classList.add('private');
    var meta = el('div', 'meta');
    meta.appendChild(el('span', 'author', name));
    meta.appendChild(el('time', 'time', timeOf(msg.date)));
    if (msg.target) meta.appendChild(el('span', 'tag', 'private'));
    li.appendChild(meta);
    li.appendChild(el('div', 'text', decode(msg.text)));
    els.messages.appendChild(li);
    scrollDown(name === state.name);
  }

  function addNotice(text) {
    els.messages.appendChild(el('li', 'notice', text));
    scrollDown(false);
  }

  function renderRooms() {
    els.rooms.textContent = '';
    state.rooms.forEach(function (room) {
      var li = el('li', room === state.room ? 'current' : '', room);
      li.tabIndex = 0;
      li.addEventListener('click', function () { switchRoom(room); });
      li.addEventListener('keydown', function (e) { if (e.key === 'Enter') switchRoom(room); });
      els.rooms.appendChild(li);
    });
    els.roomTitle.textContent = state.room;
  }

  function renderUsers(users) {
    els.users.textContent = '';
    users.forEach(function (u) {
      var name = decode(u);
      els.users.appendChild(el('li', name === state.name ? 'me' : '', name));
    });
    els.userCount.textContent = String(users.length);
  }

  function renderMe() {
    els.me.textContent = state.name ? 'Signed in as ' + state.name + '.' : 'Not signed in yet — messages go out as a guest.';
  }

  function sent(ok) {
    if (!ok) toast('Not connected — your message was not sent.');
    return ok;
  }

  function switchRoom(room) {
    if (room === state.room) return;
    if (state.rooms.indexOf(room) === -1) state.rooms.push(room);
    var previous = state.room;
    state.room = room;
    renderRooms();
    sent(state.socket.leave(previous));
    sent(state.socket.join(room));
  }

  // A new session (first connection, or the server could not resume): start from the room's history.
  var session = null;
  function freshSession(frame) {
    session = frame.session;
    state.id = frame.id;
    state.shown.clear();
    state.name = null;
    renderMe();
    if (state.wanted) state.socket.chooseName(state.wanted);
    if (state.room !== 'lobby') state.socket.leave('lobby');
    state.socket.join(state.room);
  }

  function onFrame(frame) {
    switch (frame.type) {
      case 'id':
        if (frame.session !== session) freshSession(frame);
        break;
      case 'resumed':
        state.name = frame.name ? decode(frame.name) : null;
        renderMe();
        if (frame.missed > 0) addNotice(frame.missed + ' missed while offline');
        break;
      case 'rejectusername':
        state.name = decode(frame.name);
        renderMe();
        toast('That name was taken — you are ' + state.name + '.');
        break;
      case 'username':
        if (frame.id === state.id) { state.name = decode(frame.name); renderMe(); }
        addNotice(decode(frame.name) + ' signed in at ' + timeOf(frame.date));
        break;
      case 'userlist':
        renderUsers(frame.users || []);
        break;
      case 'joined':
        if (frame.room !== state.room) break;
        els.messages.textContent = '';
        if (frame.history.length) {
          frame.history.forEach(function (m) { addMessage(m, { history: true }); });
          els.messages.appendChild(el('li', 'divider', 'earlier messages'));
        } else {
          addNotice('This is the start of #' + frame.room + '.');
        }
        scrollDown(true);
        break;
      case 'message':
        if (frame.target || !frame.room || frame.room === state.room) addMessage(frame);
        break;
      case 'error':
        // A failed resume is followed by a fresh session (see the id frame): nothing to tell.
        if (frame.code !== 'RESUME_FAILED') toast(frame.message || frame.code);
        break;
    }
  }

  var STATUS = { connecting: ['connecting', 'Connecting…'], open: ['online', 'Online'], reconnecting: ['offline', 'Offline — reconnecting…'], closed: ['offline', 'Offline'] };

  function connect() {
    var shop = new Boutique();
    state.socket = shop.socket();
    state.socket.on('status', function (frame) { var s = STATUS[frame.status]; setStatus(s[0], s[1]); });
    state.socket.on('frame', onFrame);
    state.socket.on('close', function (frame) {
      if (frame.code === 1008 || frame.code === 1009) toast('The server closed the connection: ' + (frame.reason || frame.code));
    });
  }

  els.nameForm.addEventListener('submit', function (e) {
    e.preventDefault();
    var name = els.name.value.trim();
    if (!name) return;
    state.wanted = name;
    localStorage.setItem('boutique.chat.name', name);
    sent(state.socket.chooseName(name));
  });

  els.roomForm.addEventListener('submit', function (e) {
    e.preventDefault();
    var room = els.room.value.trim();
    if (!room) return;
    els.room.value = '';
    switchRoom(room);
  });

  function sendText() {
    var text = els.text.value;
    if (!text.trim()) return;
    if (sent(state.socket.say(text, state.room))) els.text.value = '';
    autosize();
  }

  function autosize() {
    els.text.style.height = 'auto';
    els.text.style.height = Math.min(160, els.text.scrollHeight) + 'px';
  }

  els.text.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      sendText();
    }
  });
  els.text.addEventListener('input', autosize);
  els.sendForm.addEventListener('submit', function (e) { e.preventDefault(); sendText(); });

  renderRooms();
  renderMe();
  connect();
})();
