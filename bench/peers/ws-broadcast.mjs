/**
 * Bare `ws`: the broadcast loop of ws's README, every message to every client.
 * Usage: node ws-broadcast.mjs <port>
 */
import { WebSocketServer, WebSocket } from 'ws';

const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(process.argv[2]), perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => {
    for (const client of wss.clients) if (client.readyState === WebSocket.OPEN) client.send(data, { binary: isBinary });
  });
});
wss.on('listening', () => console.log('listening'));
