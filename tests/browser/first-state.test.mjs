// The page `airlock serve` sends carries the engine's first state (status, the
// queue, the syntax colours, the first hunks), so the review pane paints with
// no request behind the page's start-up. Only the token holder gets it, text
// in it cannot break out of its script element, and once the event stream is
// up the page follows the live engine, not the snapshot.

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { call } from '../terminal/lib.mjs';
import { launchBrowser, makeProject, startEngine, waitUntil } from './helpers.mjs';

/** What a script in the agent's file would do if the page ran it. */
const PAYLOAD = '</script><script>window.__pwned = 1</script><!-- x';

/** The snapshot's JSON as the page holds it, or null. */
function snapshotOf(html) {
  const open = '<script type="application/json" id="airlock-boot">';
  const at = html.indexOf(open);
  if (at < 0) return null;
  const end = html.indexOf('</script>', at + open.length);
  return JSON.parse(html.slice(at + open.length, end));
}

describe('the first state in the page', () => {
  let browser;
  let tmp;
  let engine;
  let session;
  before(async () => {
    browser = await launchBrowser();
    tmp = await makeProject('first-state', { 'page.html': '<p>old</p>\n' });
    engine = await startEngine(tmp);
    session = await call(engine, { op: 'startSession', command: ['sleep', '600'], cols: 80, rows: 24 });
    await writeFile(join(session.cwd, 'page.html'), `<p>new</p>\n${PAYLOAD}\n`);
    await waitUntil('the engine proposing page.html', async () =>
      (await call(engine, { op: 'listChanges' })).changes.some((c) => c.path === 'page.html' && c.hunks.length > 0),
    );
  });
  after(async () => {
    await browser?.close();
    await engine?.stop();
    await tmp?.cleanup();
  });

  test('only the token holder gets it, and its text cannot end its script element', async () => {
    const res = await fetch(engine.url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store', 'a page with state is never cached');
    const html = await res.text();
    const entries = snapshotOf(html);
    assert.ok(entries, 'the page with the token carries the snapshot');
    const ops = entries.map((e) => e.request.op);
    assert.deepEqual(ops.slice(0, 3), ['status', 'listChanges', 'getThemeCss']);
    const diff = entries.find((e) => e.request.op === 'getDiff');
    assert.ok(diff, `the first window of the diff is in it: ${ops.join(', ')}`);
    assert.equal(diff.request.from, 0);
    const texts = diff.response.hunks.flatMap((hk) => hk.lines.map((l) => l.text));
    assert.ok(texts.includes(PAYLOAD), `the agent's text arrives whole: ${JSON.stringify(texts)}`);
    const fromSnapshot = html.slice(html.indexOf('id="airlock-boot"'));
    assert.equal(fromSnapshot.split('</script>').length - 1, 1, 'the only </script> after the snapshot opens is the one closing it');
    assert.ok(!html.includes('<!-- x'), 'no comment opener from the text either');

    for (const [what, url] of [
      ['no token', `${engine.origin}/`],
      ['a wrong token', `${engine.origin}/?token=x${engine.token}`],
      ['index.html without a token', `${engine.origin}/index.html`],
    ]) {
      const plain = await fetch(url);
      assert.equal(plain.status, 200, what);
      const body = await plain.text();
      assert.equal(snapshotOf(body), null, `${what}: the page holds no state`);
      assert.ok(body.includes('<div id="app">'), `${what}: still the app's page`);
    }
  });

  test('the page paints the first hunks from it, then follows the live engine', async () => {
    const page = await browser.context.newPage();
    try {
      // What the page asked the engine for before its first hunk was in the DOM.
      await page.addInitScript(() => {
        const asked = [];
        const fetch = window.fetch.bind(window);
        window.fetch = (input, init) => {
          if (typeof init?.body === 'string') asked.push(JSON.parse(init.body).op);
          return fetch(input, init);
        };
        new MutationObserver((_, obs) => {
          if (document.querySelector('[data-testid="hunk"]')) {
            window.__askedFirst = [...asked];
            obs.disconnect();
          }
        }).observe(document, { childList: true, subtree: true });
      });
      await page.goto(engine.url);
      const file = page.locator('[data-testid="change-file"][data-path="page.html"]');
      const hunk = file.getByTestId('hunk');
      await hunk.filter({ hasText: '<p>new</p>' }).waitFor({ timeout: 15_000 });
      const asked = await page.evaluate(() => window.__askedFirst);
      assert.deepEqual(asked, [], `the first hunks, the queue and the status came with the page; asked first: ${asked}`);
      assert.equal(await page.evaluate(() => window.__pwned), undefined, "the agent's text never ran");
      assert.ok((await hunk.innerText()).includes(PAYLOAD), 'the text is shown as text');
      const colours = await page.evaluate(() => document.querySelectorAll('style[id^="syntax-theme"]').length);
      assert.ok(colours > 0, 'the syntax colours came with it');

      // The agent writes again: the pane shows the live diff, not the snapshot's.
      await writeFile(join(session.cwd, 'page.html'), '<p>newer</p>\n');
      await hunk.filter({ hasText: '<p>newer</p>' }).waitFor({ timeout: 15_000 });
      // The address no longer holds the token, so a reload gets a page without
      // state and asks the engine for it.
      await page.reload();
      await hunk.filter({ hasText: '<p>newer</p>' }).waitFor({ timeout: 15_000 });
      assert.equal(await page.getByTestId('error-banner').count(), 0, 'no error banner');
    } finally {
      await page.close();
    }
  });
});
