/**
 * The AsyncAPI document as the tests' judge: the shared test clients (TestClient in
 * chat-helpers.ts, openStream in sse-client.ts) check every frame they receive and send against
 * the message schemas of the document their server serves, and a frame it does not describe fails
 * the test. Compiled once per distinct document; a frame costs a lookup by its `type` and one or
 * two compiled validations.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { buildApp } from '../src/app.js';
import { testConfig } from '../src/config.js';

type Json = Readonly<Record<string, unknown>>;

export interface FrameContract {
  /** Why `frame` is not a message the server sends on `channel`; undefined when it is one. */
  sent(channel: string, frame: unknown): string | undefined;
  /** Why `frame` is not a message the server receives on `channel`; undefined when it is one. */
  received(channel: string, frame: unknown): string | undefined;
  /** The channel whose address a URL path is (`/events/customers/7/orders` → `events-customers-id-orders`). */
  channelAt(path: string): string | undefined;
}

interface Message {
  key: string;
  payload: unknown;
  validate: ValidateFunction;
}

/** Messages of one direction on one channel, by the `type` their payload fixes. */
type ByType = Map<string, Message[]>;

const object = (value: unknown): Json => (typeof value === 'object' && value !== null ? (value as Json) : {});

/** The value a local reference (`#/a/b`) points at in `doc`. */
function resolve(doc: Json, ref: string): Json {
  return ref
    .slice(2)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<Json>((at, part) => object(at[part]), doc);
}

const deref = (doc: Json, value: unknown): Json => {
  const ref = object(value).$ref;
  return typeof ref === 'string' ? deref(doc, resolve(doc, ref)) : object(value);
};

/** The `type` values a payload schema allows (through references and unions). */
function typesOf(doc: Json, schema: unknown): string[] {
  const s = deref(doc, schema);
  const fixed = object(object(s.properties).type).const;
  if (typeof fixed === 'string') return [fixed];
  return [...(Array.isArray(s.anyOf) ? s.anyOf : []), ...(Array.isArray(s.oneOf) ? s.oneOf : [])].flatMap((branch: unknown) => typesOf(doc, branch));
}

function compile(doc: Json): FrameContract {
  const ajv = new Ajv({ strict: false, allErrors: false });
  addFormats.default(ajv);
  // The whole document as one schema resource: every `#/components/…` reference resolves in it.
  ajv.addSchema(doc as Record<string, unknown>, 'asyncapi', undefined, false);
  const compiled = new Map<string, Message>();
  const messageAt = (ref: string): Message => {
    // `#/channels/socket/messages/x` → the component message it references.
    const target = object(resolve(doc, ref)).$ref;
    const componentRef = typeof target === 'string' ? target : ref;
    let message = compiled.get(componentRef);
    if (!message) {
      const validate = ajv.getSchema(`asyncapi${componentRef}/payload`);
      if (!validate) throw new Error(`no payload at ${componentRef}`);
      compiled.set(componentRef, (message = { key: componentRef.split('/').pop()!, payload: resolve(doc, componentRef).payload, validate }));
    }
    return message;
  };
  const sends = new Map<string, ByType>();
  const receives = new Map<string, ByType>();
  const add = (into: Map<string, ByType>, channelRef: unknown, refs: unknown): void => {
    const channel = String(object(channelRef).$ref).replace('#/channels/', '');
    let byType = into.get(channel);
    if (!byType) into.set(channel, (byType = new Map()));
    for (const ref of Array.isArray(refs) ? refs : []) {
      const message = messageAt(String(object(ref).$ref));
      for (const type of typesOf(doc, message.payload)) {
        const list = byType.get(type) ?? [];
        if (!list.includes(message)) list.push(message);
        byType.set(type, list);
      }
    }
  };
  for (const operation of Object.values(object(doc.operations)).map(object)) {
    add(operation.action === 'send' ? sends : receives, operation.channel, operation.messages);
    const reply = object(operation.reply);
    if (reply.channel !== undefined) add(sends, reply.channel, reply.messages);
  }
  const channels = Object.entries(object(doc.channels)).map(([name, channel]) => {
    const address = String(object(channel).address);
    const pattern = new RegExp('^' + address.replace(/\{\w+\}/g, '[^/]+') + '$');
    return { name, pattern };
  });

  const check = (direction: string, byType: ByType | undefined, frame: unknown): string | undefined => {
    const type = object(frame).type;
    const candidates = typeof type === 'string' ? byType?.get(type) : undefined;
    const reasons: string[] = [];
    for (const message of candidates ?? []) {
      if (message.validate(frame)) return undefined;
      reasons.push(`${message.key}: ${ajv.errorsText(message.validate.errors)}`);
    }
    const why = candidates ? reasons.join('; ') : `no message has type ${JSON.stringify(type)}`;
    return `A frame the AsyncAPI document does not describe (${direction}): ${JSON.stringify(frame)?.slice(0, 400)} — ${why}`;
  };
  return {
    sent: (channel, frame) => check(`sent by the server on ${channel}`, sends.get(channel), frame),
    received: (channel, frame) => check(`received by the server on ${channel}`, receives.get(channel), frame),
    channelAt: (path) => channels.find((c) => c.pattern.test(path))?.name,
  };
}

const byText = new Map<string, FrameContract>();
const byDocument = new WeakMap<Json, FrameContract>();

/** The contract of `doc`, compiled once for every identical document. */
export function frameContract(doc: Json): FrameContract {
  let contract = byDocument.get(doc);
  if (contract) return contract;
  const text = JSON.stringify(doc);
  contract = byText.get(text);
  if (!contract) byText.set(text, (contract = compile(JSON.parse(text) as Json)));
  byDocument.set(doc, contract);
  return contract;
}

/** Documents of the apps a test built, by `host:port`. */
const documents = new Map<string, Json>();
let defaultDocument: Promise<Json> | undefined;

/** Tells the test clients which document the server at `url` serves (an app built with other resources). */
export function serveDocument(url: string, doc: Json): void {
  documents.set(new URL(url).host, doc);
}

export function forgetDocument(url: string): void {
  documents.delete(new URL(url).host);
}

/**
 * The contract of the server at `url`: its app's document when the test registered it (startApp
 * does), otherwise that of an app with the default resources — what a server process serves.
 */
export async function contractFor(url: string): Promise<FrameContract> {
  const doc = documents.get(new URL(url).host);
  if (doc !== undefined) return frameContract(doc);
  defaultDocument ??= (async () => {
    const app = await buildApp(testConfig());
    try {
      return app.asyncapi();
    } finally {
      await app.close();
    }
  })();
  return frameContract(await defaultDocument);
}

/**
 * Judges the frames of one connection as they come, against the contract of its server (compiled
 * in the background: what arrives first waits for it). The first frame the document does not
 * describe is thrown on its own, so that a test that never looks at it fails too, and again by
 * `assert()` to whatever the test awaits next.
 */
export class FrameJudge {
  readonly ready: Promise<void>;
  #contract: FrameContract | undefined;
  readonly #waiting: ((contract: FrameContract) => string | undefined)[] = [];
  #violation: Error | undefined;

  constructor(url: string) {
    this.ready = contractFor(url).then((contract) => {
      this.#contract = contract;
      for (const check of this.#waiting.splice(0)) this.#report(check(contract));
    });
    // Whoever awaits `ready` sees a failure; nobody else needs to.
    this.ready.catch(() => {});
  }

  /** The contract, once compiled (after `ready`). */
  get contract(): FrameContract {
    if (this.#contract === undefined) throw new Error('the AsyncAPI document is not compiled yet: await ready');
    return this.#contract;
  }

  /** Runs `check` now, or once the contract is compiled; a problem it names fails the test. */
  judge(check: (contract: FrameContract) => string | undefined): void {
    if (this.#contract) this.#report(check(this.#contract));
    else this.#waiting.push(check);
  }

  /** Throws the first frame the document does not describe, if one came. */
  assert(): void {
    if (this.#violation) throw this.#violation;
  }

  #report(problem: string | undefined): void {
    if (problem === undefined || this.#violation !== undefined) return;
    const error = new Error(problem);
    this.#violation = error;
    setImmediate(() => {
      throw error;
    });
  }
}

/** A frame received on the socket. */
export const socketFrame =
  (frame: unknown) =>
  (contract: FrameContract): string | undefined =>
    contract.sent('socket', frame);

/** An SSE event of the stream at `path`: its data a message of the path's channel, its id that message's seq. */
export const streamEvent =
  (path: string, id: string | undefined, data: unknown) =>
  (contract: FrameContract): string | undefined => {
    const channel = contract.channelAt(path);
    if (channel === undefined) return `An event on ${path}, where the AsyncAPI document has no channel: ${JSON.stringify(data).slice(0, 300)}`;
    const seq = (data as { seq?: unknown } | null)?.seq;
    return contract.sent(channel, data) ?? (id === String(seq) ? undefined : `An SSE event whose id (${id}) is not its frame's seq: ${JSON.stringify(data).slice(0, 300)}`);
  };
