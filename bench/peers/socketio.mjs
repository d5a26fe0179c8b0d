/**
 * Socket.IO 4: every `chat` event re-emitted to everyone with io.emit (one encoded packet for
 * all sockets, written by engine.io). WebSocket transport only, as the clients use.
 * Usage: node socketio.mjs <port>
 */
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const http = createServer((req, res) => res.writeHead(200).end('ok'));
const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, httpCompression: false, serveClient: false });
io.on('connection', (socket) => {
  socket.on('chat', (msg) => io.emit('chat', msg));
});
http.listen(Number(process.argv[2]), '127.0.0.1', () => console.log('listening'));
