import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startApp, type Running } from './chat-helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `no ${CHROMIUM}: apt-get install chromium`;

describe('chat in a real browser', { skip }, () => {
  let running: Running;
  let browser: Browser;
  before(async () => {
    running = await startApp();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  });
  after(async () => {
    await browser?.close();
    await running?.close();
  });

  async function signIn(page: Page, name: string): Promise<void> {
    await page.addInitScript(() => {
      // Keeps the page's sockets reachable from the test (the page itself hides them).
      const Native = window.WebSocket;
      const sockets: WebSocket[] = [];
      (window as unknown as { __sockets: WebSocket[] }).__sockets = sockets;
      window.WebSocket = class extends Native {
        constructor(url: string | URL, protocols?: string | string[]) {
          super(url, protocols);
          sockets.push(this);
        }
      };
    });
    await page.goto(`${running.httpUrl}/chat`);
    await page.locator('#status[data-state="online"]').waitFor();
    await page.fill('#name', name);
    await page.click('#name-form button');
    await page.locator('#me', { hasText: name }).waitFor();
  }

  it('two pages sign in on /chat and exchange messages, rendered as text', async () => {
    const ana = await browser.newPage();
    const ben = await browser.newPage();
    await signIn(ana, 'Ana');
    await signIn(ben, 'Ben');
    await ana.locator('#users li', { hasText: 'Ben' }).waitFor();

    await ana.fill('#text', 'Hi Ben <b>bold?</b>');
    await ana.press('#text', 'Enter');
    const received = ben.locator('.message', { hasText: 'Hi Ben' });
    await received.waitFor();
    assert.equal(await received.locator('.author').textContent(), 'Ana');
    assert.equal(await received.locator('.text').textContent(), 'Hi Ben <b>bold?</b>', 'shown as typed, not as HTML');
    assert.equal(await ben.locator('.message b').count(), 0);

    await ben.fill('#text', 'Hello Ana');
    await ben.press('#text', 'Enter');
    await ana.locator('.message', { hasText: 'Hello Ana' }).waitFor();
    await ana.close();
    await ben.close();
  });

  it('reconnects after the connection drops and shows what was missed once', async () => {
    const cara = await browser.newPage();
    const dan = await browser.newPage();
    await signIn(cara, 'Cara');
    await signIn(dan, 'Dan');
    await dan.locator('#users li', { hasText: 'Cara' }).waitFor();
    // Cut Cara's connection as a network blip would; the page must reconnect and resume by itself.
    await cara.evaluate(() => {
      for (const s of (window as unknown as { __sockets: WebSocket[] }).__sockets) s.close(4001, 'test drop');
    });
    await cara.locator('#status[data-state="offline"]').waitFor();
    await dan.fill('#text', 'while you were away');
    await dan.press('#text', 'Enter');
    await cara.locator('.message', { hasText: 'while you were away' }).waitFor();
    await cara.locator('#status[data-state="online"]').waitFor();
    await cara.waitForTimeout(300);
    assert.equal(await cara.locator('#me').textContent(), 'Signed in as Cara.', 'the name survived the reconnect');
    assert.equal(await cara.locator('.message', { hasText: 'while you were away' }).count(), 1);
    await cara.close();
    await dan.close();
  });

  it("runs the seed's snippet as written: new WebSocket(url, \"protocolOne\"), send on open, parse on message", async () => {
    const ana = await browser.newPage();
    await signIn(ana, 'Eve');
    const seed = await browser.newPage();
    await seed.goto(`${running.httpUrl}/healthz`);
    const wsUrl = running.wsUrl;
    const seen = await seed.evaluate(
      (url) =>
        new Promise<{ protocol: string; chat: string[] }>((resolve) => {
          const chat: string[] = [];
          let clientID: number | undefined;
          const exampleSocket = new WebSocket(url, 'protocolOne');
          exampleSocket.onopen = function () {
            const msg = { type: 'message', text: 'hello from the seed', id: clientID, date: Date.now() };
            exampleSocket.send(JSON.stringify(msg));
          };
          exampleSocket.onmessage = function (event) {
            let text = '';
            const msg = JSON.parse(event.data as string);
            const time = new Date(msg.date);
            const timeStr = time.toLocaleTimeString();
            switch (msg.type) {
              case 'id':
                clientID = msg.id;
                break;
              case 'username':
                text = '<b>User <em>' + msg.name + '</em> signed in at ' + timeStr + '</b><br>';
                break;
              case 'message':
                text = '(' + timeStr + ') <b>' + msg.name + '</b>: ' + msg.text + '<br>';
                break;
            }
            if (text.length) chat.push(text);
            if (chat.length === 1) resolve({ protocol: exampleSocket.protocol, chat });
          };
        }),
      wsUrl,
    );
    assert.equal(seen.protocol, 'protocolOne');
    assert.match(seen.chat[0]!, /<b>guest-\d+<\/b>: hello from the seed<br>$/);
    await ana.locator('.message', { hasText: 'hello from the seed' }).waitFor();
    await ana.close();
    await seed.close();
  });
});
