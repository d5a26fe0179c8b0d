// The /chat page: Boutique's chat protocol (docs/chat-protocol.md) in plain JavaScript.
// Received names and texts arrive HTML-escaped (for MDN's innerHTML client); this page decodes
// them and renders with textContent only, never innerHTML.
(function () {
  'use strict';

  var $ = function (id) { return document.getElementById(id); };
  var els = {
    status: $('status'), nameForm: $('name-form'), name: $('name'), me: $('me'),
    rooms: $('rooms'), roomForm: $('room-form'), room: $('room'), users: $('users'), userCount: $('user-count'),
    roomTitle: $('room-title'), messages: $('messages'), sendForm: $('send-form'), text: $('text'), toast: $('toast'),
  };

  var state = {
    socket: null,
    session: null,       // from the id frame; kept across reconnects to resume
    lastSeq: 0,          // highest seq received: what a resume asks to continue from
    id: null,
    name: null,          // the name the server gave us
    wanted: localStorage.getItem('boutique.chat.name') || '',
    room: 'lobby',
    rooms: ['lobby'],
    attempt: 0,
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

  function send(frame) {
    if (state.socket && state.socket.readyState === WebSocket.OPEN) {
      state.socket.send(JSON.stringify(frame));
      return true;
    }
    toast('Not connected — your message was not sent.');
    return false;
  }

  function switchRoom(room) {
    if (room === state.room) return;
    if (state.rooms.indexOf(room) === -1) state.rooms.push(room);
    var previous = state.room;
    state.room = room;
    renderRooms();
    send({ type: 'leave', room: previous });
    send({ type: 'join', room: room });
  }

  // A new session (first connection, or the server could not resume): start from the room's history.
  function freshSession(frame) {
    state.session = frame.session;
    state.id = frame.id;
    state.lastSeq = 0;
    state.shown.clear();
    state.name = null;
    renderMe();
    if (state.wanted) send({ type: 'username', name: state.wanted, id: state.id, date: Date.now() });
    if (state.room !== 'lobby') send({ type: 'leave', room: 'lobby' });
    send({ type: 'join', room: state.room });
  }

  function onFrame(frame) {
    if (typeof frame.seq === 'number' && frame.type !== 'resumed' && frame.type !== 'joined' && frame.type !== 'subscribed') {
      state.lastSeq = Math.max(state.lastSeq, frame.seq);
    }
    switch (frame.type) {
      case 'id':
        if (frame.session !== state.session) freshSession(frame);
        break;
      case 'resumed':
        state.attempt = 0;
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
        state.lastSeq = Math.max(state.lastSeq, frame.seq);
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

  function connect() {
    var proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    var url = proto + '//' + location.host + '/socketserver';
    // Resuming at the handshake: the server sends what we missed before any live frame.
    if (state.session) url += '?session=' + encodeURIComponent(state.session) + '&seq=' + state.lastSeq;
    setStatus('connecting', state.attempt ? 'Reconnecting…' : 'Connecting…');
    var socket = new WebSocket(url, 'json');
    state.socket = socket;
    socket.onopen = function () {
      state.attempt = 0;
      setStatus('online', 'Online');
    };
    socket.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      onFrame(frame);
    };
    socket.onclose = function (event) {
      if (state.socket !== socket) return;
      state.socket = null;
      if (event.code === 1008 || event.code === 1009) toast('The server closed the connection: ' + (event.reason || event.code));
      // Exponential backoff with jitter: 0.5 s, 1 s, 2 s … up to 30 s.
      var delay = Math.min(30000, 500 * Math.pow(2, state.attempt)) * (0.75 + Math.random() * 0.5);
      state.attempt++;
      var until = Date.now() + delay;
      var tick = function () {
        var left = Math.ceil((until - Date.now()) / 1000);
        if (state.socket) return;
        if (left <= 0) return connect();
        setStatus('offline', 'Offline — retrying in ' + left + ' s');
        setTimeout(tick, Math.min(1000, until - Date.now()));
      };
      tick();
    };
  }

  els.nameForm.addEventListener('submit', function (e) {
    e.preventDefault();
    var name = els.name.value.trim();
    if (!name) return;
    state.wanted = name;
    localStorage.setItem('boutique.chat.name', name);
    send({ type: 'username', name: name, id: state.id, date: Date.now() });
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
    if (send({ type: 'message', text: text, room: state.room, id: state.id, date: Date.now() })) els.text.value = '';
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
