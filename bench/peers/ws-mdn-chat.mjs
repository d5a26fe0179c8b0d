/**
 * MDN's chat sample server (mdn/samples-server, s/websocket-chat/chatserver.js) on `ws` instead of
 * the `websocket` package, kept to what that reference does so the sign-in storm compares Boutique
 * with the protocol's own server:
 *   - on connect: the connection gets the next id (counting from Date.now()) and `{"type":"id","id"}`;
 *   - `username`: the connection is found by the message's `id`; while another connection has the
 *     name, the name becomes the original plus a global counter (`appendToMakeUnique`, never
 *     reset), and the sender gets `rejectusername`; then the whole user list (every connection's
 *     username, `null` for those without one yet) goes to every connection as `userlist`, built and
 *     stringified once per sign-in — nothing else is broadcast for a sign-in;
 *   - `message`: the sender's name is set and tags are stripped from the text, then it goes to
 *     `target` alone or to everyone; anything else is relayed as it came;
 *   - on close: the connection leaves the array and the user list goes to everyone again.
 * Usage: node ws-mdn-chat.mjs <port>
 */
import { createServer } from 'node:http';
import { WebSocketServer, WebSocket } from 'ws';

let connectionArray = [];
let nextID = Date.now();
let appendToMakeUnique = 1;

function isUsernameUnique(name) {
  for (const c of connectionArray) if (c.username === name) return false;
  return true;
}

function sendToOneUser(target, msgString) {
  for (const c of connectionArray) {
    if (c.username === target) {
      c.send(msgString);
      break;
    }
  }
}

function getConnectionForID(id) {
  for (const c of connectionArray) if (c.clientID === id) return c;
  return null;
}

function makeUserListMessage() {
  const userListMsg = { type: 'userlist', users: [] };
  for (const c of connectionArray) userListMsg.users.push(c.username);
  return userListMsg;
}

function sendUserListToAll() {
  const userListMsgStr = JSON.stringify(makeUserListMessage());
  for (const c of connectionArray) c.send(userListMsgStr);
}

const http = createServer((req, res) => res.writeHead(200).end('ok'));
// The reference accepts the `json` subprotocol its client offers (request.accept("json", origin)).
const wss = new WebSocketServer({ server: http, perMessageDeflate: false, handleProtocols: (protocols) => (protocols.has('json') ? 'json' : false) });

wss.on('connection', (connection) => {
  connection.on('error', () => {});
  connectionArray.push(connection);
  connection.clientID = nextID;
  nextID++;
  connection.send(JSON.stringify({ type: 'id', id: connection.clientID }));

  connection.on('message', (data, isBinary) => {
    if (isBinary) return;
    let sendToClients = true;
    const msg = JSON.parse(data.toString());
    const connect = getConnectionForID(msg.id);
    switch (msg.type) {
      case 'message':
        msg.name = connect.username;
        msg.text = msg.text.replace(/(<([^>]+)>)/gi, '');
        break;
      case 'username': {
        let nameChanged = false;
        const origName = msg.name;
        while (!isUsernameUnique(msg.name)) {
          msg.name = origName + appendToMakeUnique;
          appendToMakeUnique++;
          nameChanged = true;
        }
        if (nameChanged) connect.send(JSON.stringify({ id: msg.id, type: 'rejectusername', name: msg.name }));
        connect.username = msg.name;
        sendUserListToAll();
        sendToClients = false;
        break;
      }
    }
    if (sendToClients) {
      const msgString = JSON.stringify(msg);
      if (msg.target && msg.target.length !== 0) sendToOneUser(msg.target, msgString);
      else for (const c of connectionArray) c.send(msgString);
    }
  });

  connection.on('close', () => {
    connectionArray = connectionArray.filter((c) => c.readyState === WebSocket.OPEN);
    sendUserListToAll();
  });
});

http.listen(Number(process.argv[2]), '127.0.0.1', () => console.log('listening'));
