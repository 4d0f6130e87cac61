// What the scripted model-API mocks (mock-anthropic.mjs, mock-gemini.mjs,
// mock-openai.mjs) have in common, so that each of them holds only its API:
// a server on 127.0.0.1 at a free port that reads each request's body,
// records it, hands it to the API's routes and answers what none of them
// takes with a 404, and an error with a 500, in the API's own error shape;
// the walk through the script; server-sent events; a close that does not
// wait for kept-alive connections.

import { createServer } from 'node:http';

export const SIDE_TEXT = 'OK';
export const EXHAUSTED_TEXT = 'Done (the mock script has no more turns).';

/** Answers `value` as JSON. */
export function sendJson(res, value, headers = {}) {
  res.writeHead(200, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(value));
}

/** Starts a stream of server-sent events; `headers` go with the usual ones. */
export function startEvents(res, headers = {}) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', ...headers });
}

/** Writes one named server-sent event with `data` as JSON. */
export function writeEvent(res, event, data) {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/** A request body as JSON, as text when it is not JSON, or null when empty. */
function parseBody(raw) {
  if (!raw) return null;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/**
 * Starts a mock on 127.0.0.1 (a free port) and resolves to it once it listens.
 *
 * - `name` prefixes its log lines; `log` takes them (default: console.error).
 * - `route({ req, res, entry, mainTurn })` answers a request and returns
 *   true, or returns false for a path it does not know. `entry` is the
 *   request's record `{ method, path, kind, body, turn }`; `mainTurn(entry)`
 *   marks it a main request and returns the script's next turn, or
 *   `{ text: EXHAUSTED_TEXT }` once the script has run out.
 * - `notFound(message)` / `failed(message)`: the API's error documents.
 * - `describeLast`: `{ label, of(body), max }`, what `mock.describe()`
 *   shows of each main request.
 */
export async function startMockServer({ name, script, log = (msg) => console.error(msg), route, notFound, failed, describeLast }) {
  const requests = [];
  const unknown = [];
  let turn = 0;
  const mock = {
    url: '',
    port: 0,
    /** Every request: `{ method, path, kind, body, turn }` and what the API's routes add. */
    requests,
    /** Requests to paths the mock does not know: `{ method, path }`. */
    unknown,
    /** How many main requests arrived after the script ran out. */
    exhausted: 0,
    /** Main-loop requests only, in order. */
    get mainRequests() {
      return requests.filter((r) => r.kind === 'main');
    },
    /** How many scripted turns have been used. */
    get turnsUsed() {
      return Math.min(turn, script.length);
    },
    /** A short description of every request, for failure messages. */
    describe() {
      return requests
        .map((r, i) => {
          const base = `#${i} ${r.method} ${r.path} ${r.kind}${r.turn !== null ? ` turn ${r.turn}` : ''}`;
          if (r.kind !== 'main') return base;
          // String(): a body without the part gives `undefined`, not a failure inside a failure message.
          return `${base} ${describeLast.label}: ${String(JSON.stringify(describeLast.of(r.body))).slice(0, describeLast.max)}`;
        })
        .join('\n');
    },
    close() {
      const closed = new Promise((r) => server.close(() => r()));
      // The agents keep connections alive; don't let them hold close() up.
      server.closeAllConnections?.();
      return closed;
    },
  };
  const mainTurn = (entry) => {
    entry.kind = 'main';
    if (turn >= script.length) {
      mock.exhausted++;
      return { text: EXHAUSTED_TEXT };
    }
    entry.turn = turn;
    const t = script[turn++];
    return typeof t === 'function' ? t(entry.body, mock) : t;
  };

  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url || '/').split('?')[0];
      const entry = { method: req.method, path, kind: 'other', body: parseBody(Buffer.concat(chunks).toString('utf8')), turn: null };
      requests.push(entry);
      try {
        if (route({ req, res, entry, mainTurn })) return;
        unknown.push({ method: req.method, path });
        log(`# ${name}: unknown ${req.method} ${path}`);
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify(notFound(`mock: no ${req.method} ${path}`)));
      } catch (err) {
        log(`# ${name}: error answering ${req.method} ${path}: ${err.stack || err}`);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify(failed(String(err))));
      }
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  mock.port = server.address().port;
  mock.url = `http://127.0.0.1:${mock.port}`;
  return mock;
}
