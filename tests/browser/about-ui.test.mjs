// About: the brand opens the engine's version and commit, the same words as
// `airlock --version`; Esc and a click elsewhere close it.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { AIRLOCK_BIN, launchBrowser, openPage } from './helpers.mjs';

describe('about', () => {
  let browser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  test('the brand shows the version and commit airlock --version prints', async (t) => {
    const { page, see } = await openPage(t, browser, 'about');
    const cli = execFileSync(AIRLOCK_BIN, ['--version'], { encoding: 'utf8' }).trim();
    assert.match(cli, /^airlock \d+\.\d+\.\d+ \(([0-9a-f]{12}|unknown)\)$/);

    const about = page.getByTestId('about');
    assert.equal(await about.isVisible(), false, 'closed at first');
    await page.getByTestId('about-toggle').click();
    await see(about, 'the About box');
    assert.equal(await page.getByTestId('about-version').innerText(), cli.replace(/^airlock /, ''));
    await page.keyboard.press('Escape');
    await see(about, 'About closed by Esc', 'hidden');

    await page.getByTestId('about-toggle').click();
    await see(about, 'the About box again');
    await page.getByTestId('project-path').click();
    await see(about, 'About closed by a click elsewhere', 'hidden');
  });
});
