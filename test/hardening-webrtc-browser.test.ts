/**
 * MDN's video-call sample (s/webrtc-from-chat in mdn/samples-server) against Boutique's signaling,
 * in two Chromium pages with fake cameras: a real RTCPeerConnection reaches `connected`, and the
 * `hang-up` MDN's client sends with `"target": null` (it forgets its peer before telling it)
 * closes the other side. ICE is kept to loopback: only 127.0.0.1 candidates are exchanged.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { startApp, type Running } from './chat-helpers.js';
import { browserSkipReason, launchChromium } from './browser.js';

const MEDIA_FLAGS = [
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  // Host candidates as addresses, not mDNS names (no multicast), and the loopback interface usable.
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--allow-loopback-in-peer-connection',
];

interface CallState {
  connection: string;
  signaling: string;
  hangUpsReceived: number;
  errors: string[];
}

declare global {
  interface Window {
    mdn: {
      start(url: string, name: string): Promise<void>;
      invite(user: string): Promise<void>;
      hangUp(): void;
      state(): CallState;
    };
  }
}

/**
 * The parts of MDN's chatclient.js that signal, with its message shapes: `video-offer` and
 * `video-answer` as `{name, target, type, sdp}`, `new-ice-candidate` as `{type, target,
 * candidate}`, and hangUpCall(), which closes the call (clearing the target) before sending
 * `{name, target: null, type: "hang-up"}`.
 */
function mdnClient(): void {
  let connection: WebSocket;
  let myName = '';
  let targetUsername: string | null = null;
  let pc: RTCPeerConnection | null = null;
  let lastState = { connection: 'none', signaling: 'none' };
  let hangUpsReceived = 0;
  const errors: string[] = [];
  let queue = Promise.resolve();

  const loopbackOnly = (sdp: string): string => sdp.split('\r\n').filter((l) => !l.startsWith('a=candidate:') || / 127\.0\.0\.1 /.test(l)).join('\r\n');
  const send = (msg: object): void => connection.send(JSON.stringify(msg));
  const description = (): RTCSessionDescriptionInit => ({ type: pc!.localDescription!.type, sdp: loopbackOnly(pc!.localDescription!.sdp) });

  function createPeerConnection(): void {
    pc = new RTCPeerConnection({ iceServers: [] });
    pc.onicecandidate = (event) => {
      if (event.candidate && / 127\.0\.0\.1 /.test(event.candidate.candidate)) send({ type: 'new-ice-candidate', target: targetUsername, candidate: event.candidate });
    };
    const track = (): void => {
      if (pc) lastState = { connection: pc.connectionState, signaling: pc.signalingState };
    };
    pc.onconnectionstatechange = track;
    pc.onsignalingstatechange = track;
  }

  async function addCamera(): Promise<void> {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    for (const t of stream.getTracks()) pc!.addTrack(t, stream);
  }

  function closeVideoCall(): void {
    if (pc) {
      pc.close();
      lastState = { connection: pc.connectionState, signaling: pc.signalingState };
      pc = null;
    }
    targetUsername = null;
  }

  async function handle(msg: { type: string; name?: string; sdp?: RTCSessionDescriptionInit; candidate?: RTCIceCandidateInit }): Promise<void> {
    switch (msg.type) {
      case 'video-offer':
        targetUsername = msg.name!;
        createPeerConnection();
        await pc!.setRemoteDescription(msg.sdp!);
        await addCamera();
        await pc!.setLocalDescription(await pc!.createAnswer());
        send({ name: myName, target: targetUsername, type: 'video-answer', sdp: description() });
        break;
      case 'video-answer':
        await pc!.setRemoteDescription(msg.sdp!);
        break;
      case 'new-ice-candidate':
        if (pc) await pc.addIceCandidate(msg.candidate);
        break;
      case 'hang-up':
        hangUpsReceived++;
        closeVideoCall();
        break;
      case 'error':
        errors.push(JSON.stringify(msg));
        break;
    }
  }

  window.mdn = {
    async start(url, name) {
      myName = name;
      connection = new WebSocket(url, 'json');
      const signedIn = new Promise<void>((resolve) => {
        connection.onmessage = (event) => {
          const msg = JSON.parse(event.data as string);
          if (msg.type === 'username' && msg.name === myName) resolve();
          queue = queue.then(() => handle(msg)).catch((err: unknown) => void errors.push(String(err)));
        };
      });
      await new Promise((resolve) => (connection.onopen = resolve));
      send({ name, date: Date.now(), id: 0, type: 'username' });
      await signedIn;
    },
    async invite(user) {
      targetUsername = user;
      createPeerConnection();
      await addCamera();
      await pc!.setLocalDescription(await pc!.createOffer());
      send({ name: myName, target: targetUsername, type: 'video-offer', sdp: description() });
    },
    hangUp() {
      closeVideoCall();
      send({ name: myName, target: targetUsername, type: 'hang-up' });
    },
    state: () => ({ ...lastState, hangUpsReceived, errors }),
  };
}

const skip = browserSkipReason();
describe("MDN's WebRTC sample through Boutique's signaling, in Chromium", { skip }, () => {
  let running: Running;
  let browser: Browser;
  before(async () => {
    running = await startApp();
    browser = await launchChromium(MEDIA_FLAGS);
  });
  after(async () => {
    await browser?.close();
    await running?.close();
  });

  async function user(name: string): Promise<Page> {
    const page = await browser.newPage();
    // Any page of the server is a secure context on 127.0.0.1 (getUserMedia needs one); /healthz has no CSP.
    await page.goto(`${running.httpUrl}/healthz`);
    // tsx compiles the named functions inside mdnClient with a __name helper the page lacks.
    await page.evaluate('globalThis.__name = (target) => target');
    await page.evaluate(mdnClient);
    await page.evaluate(([url, n]) => window.mdn.start(url, n), [running.wsUrl, name] as const);
    return page;
  }

  const state = (page: Page): Promise<CallState> => page.evaluate(() => window.mdn.state());

  it('two pages set up a real RTCPeerConnection and reach connected; a hang-up sent with target null closes the other side', { timeout: 60_000 }, async () => {
    const caller = await user('caller');
    const callee = await user('callee');
    await caller.evaluate(() => window.mdn.invite('callee'));
    await caller.waitForFunction(() => window.mdn.state().connection === 'connected', undefined, { timeout: 20_000 });
    await callee.waitForFunction(() => window.mdn.state().connection === 'connected', undefined, { timeout: 20_000 });

    await callee.evaluate(() => window.mdn.hangUp());
    await caller.waitForFunction(() => window.mdn.state().hangUpsReceived === 1, undefined, { timeout: 10_000 });
    const after = await state(caller);
    assert.equal(after.signaling, 'closed');
    assert.equal(after.connection, 'closed');
    assert.deepEqual(after.errors, []);
    assert.deepEqual((await state(callee)).errors, [], 'the hang-up was delivered, not answered with an error');
    await caller.close();
    await callee.close();
  });
});
