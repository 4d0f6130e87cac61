// The first state, delivered with the page. `airlock serve` writes the replies
// to the requests a page makes first (status, the queue, the syntax theme and
// the first window of the first diffs) into index.html, so the review pane
// paints without waiting for a round trip per request behind the page's own
// start-up. Each reply answers its request once; the snapshot ends when the
// app takes the state again, which it does once the event stream is up.

import type { Request, Response } from './bindings';
import type { Incoming, Link, ReplyTo, Scrollback, Transport } from './transport';

/** One request and the engine's reply to it, as the server wrote them. */
interface BootEntry {
  request: Request;
  response: Response;
}

/** The element `airlock serve` writes the snapshot into (see `boot` in serve.rs). */
const BOOT_ID = 'airlock-boot';

/** What makes two requests the same for the snapshot; null for requests it never answers. */
export function bootKey(req: Request): string | null {
  switch (req.op) {
    case 'status':
    case 'getThemeCss':
      return req.op;
    case 'listChanges':
      return req.decided || req.session ? null : req.op;
    case 'getDiff':
      return `getDiff ${req.change} ${req.from ?? 0} ${req.count ?? 'all'} ${req.ignoreWhitespace ? 'ws' : ''}`;
    default:
      return null;
  }
}

/** The snapshot in the page, if the server wrote one; the element is removed. */
export function readBoot(): Map<string, Response> | null {
  const el = document.getElementById(BOOT_ID);
  if (!el) return null;
  el.remove();
  let entries: unknown;
  try {
    entries = JSON.parse(el.textContent ?? '');
  } catch {
    console.warn('ignoring a malformed boot snapshot');
    return null;
  }
  if (!Array.isArray(entries)) return null;
  const replies = new Map<string, Response>();
  for (const e of entries as BootEntry[]) {
    const key = e && typeof e === 'object' && e.request && e.response ? bootKey(e.request) : null;
    if (key !== null) replies.set(key, e.response);
  }
  return replies;
}

/** A transport that answers from the snapshot first, then from the engine. */
export class BootTransport implements Transport {
  readonly kind: Transport['kind'];
  private readonly asked = new Set<string>();

  constructor(
    private readonly inner: Transport,
    private readonly replies: Map<string, Response>,
  ) {
    this.kind = inner.kind;
  }

  call<R extends Request>(req: R): Promise<ReplyTo<R>> {
    const key = bootKey(req);
    if (key === 'status' || key === 'listChanges') {
      // Asked again: the app is taking the live state, so the snapshot is over.
      if (this.asked.has(key)) this.replies.clear();
      this.asked.add(key);
    }
    const reply = key === null ? undefined : this.replies.get(key);
    if (key === null || reply === undefined) return this.inner.call(req);
    this.replies.delete(key);
    return Promise.resolve(reply as ReplyTo<R>);
  }

  readScrollback(session: string): Promise<Scrollback> {
    return this.inner.readScrollback(session);
  }

  subscribe(onEvent: (e: Incoming) => void, onLink?: (link: Link) => void): void {
    this.inner.subscribe(onEvent, onLink);
  }
}
