// The terminal's find bar (Ctrl+F, or Cmd+F on a Mac): searches the shown
// session's scrollback with xterm's search addon. Enter / Shift+Enter go to
// the next / previous match, Esc closes and gives the terminal its focus back.

import type { ISearchOptions, ISearchResultChangeEvent, SearchAddon } from '@xterm/addon-search';
import { h, icon, ICONS } from '../lib/dom';

const darkQuery = window.matchMedia('(prefers-color-scheme: dark)');

/** Match colours (#RRGGBB, as the addon wants), for the terminal's theme. */
function decorations(): NonNullable<ISearchOptions['decorations']> {
  return darkQuery.matches
    ? {
        matchBackground: '#5c4813',
        matchOverviewRuler: '#d29922',
        activeMatchBackground: '#b07800',
        activeMatchBorder: '#ffd27a',
        activeMatchColorOverviewRuler: '#ffd27a',
      }
    : {
        matchBackground: '#fff1a6',
        matchOverviewRuler: '#bf8700',
        activeMatchBackground: '#ffb84d',
        activeMatchBorder: '#9a6700',
        activeMatchColorOverviewRuler: '#9a6700',
      };
}

export class FindBar {
  readonly el: HTMLElement;
  private readonly input: HTMLInputElement;
  private readonly count = h('span', { class: 'find-count', 'data-testid': 'terminal-find-count', 'aria-live': 'polite' });
  private readonly caseToggle: HTMLButtonElement;
  private readonly regexToggle: HTMLButtonElement;
  private search: SearchAddon | null = null;

  constructor(private readonly onClose: () => void) {
    this.input = h('input', {
      class: 'find-input',
      type: 'text',
      'data-testid': 'terminal-find-input',
      'aria-label': 'Find in the terminal',
      placeholder: 'Find',
      autocomplete: 'off',
      spellcheck: false,
    });
    const toggle = (label: string, text: string, testid: string) => {
      const b: HTMLButtonElement = h('button', {
        class: 'find-toggle',
        type: 'button',
        'data-testid': testid,
        'aria-pressed': 'false',
        'aria-label': label,
        title: label,
        text,
        onclick: () => {
          b.setAttribute('aria-pressed', String(b.getAttribute('aria-pressed') !== 'true'));
          this.run('incremental');
        },
      });
      return b;
    };
    this.caseToggle = toggle('Match case', 'Aa', 'terminal-find-case');
    this.regexToggle = toggle('Regular expression', '.*', 'terminal-find-regex');
    const button = (label: string, testid: string, ico: string, run: () => void) =>
      h('button', { class: 'icon-button', type: 'button', 'data-testid': testid, 'aria-label': label, title: label, onclick: run }, icon(ico));
    this.el = h(
      'div',
      { class: 'find-bar', role: 'search', 'data-testid': 'terminal-find', hidden: true },
      icon(ICONS.search),
      this.input,
      this.count,
      this.caseToggle,
      this.regexToggle,
      button('Previous match (Shift+Enter)', 'terminal-find-prev', ICONS.arrowUp, () => this.run('previous')),
      button('Next match (Enter)', 'terminal-find-next', ICONS.arrowDown, () => this.run('next')),
      button('Close (Esc)', 'terminal-find-close', ICONS.x, () => this.close()),
    );
    this.input.addEventListener('input', () => this.run('incremental'));
    this.el.addEventListener('keydown', (ev) => {
      if (ev.key === 'Escape') {
        ev.preventDefault();
        ev.stopPropagation();
        this.close();
      } else if (ev.key === 'Enter' && ev.target === this.input) {
        ev.preventDefault();
        this.run(ev.shiftKey ? 'previous' : 'next');
      } else if ((ev.ctrlKey || ev.metaKey) && ev.key.toLowerCase() === 'f') {
        // Already open: select what is there, instead of the browser's own find.
        ev.preventDefault();
        this.input.select();
      }
    });
  }

  get isOpen(): boolean {
    return !this.el.hidden;
  }

  /** Opens the bar on `search` (the shown terminal's), with the terminal's selection as the query if it has one. */
  open(search: SearchAddon, selection = ''): void {
    if (this.search && this.search !== search) this.search.clearDecorations();
    this.search = search;
    this.el.hidden = false;
    if (selection && !selection.includes('\n')) this.input.value = selection;
    this.input.focus();
    this.input.select();
    if (this.input.value) this.run('incremental');
  }

  /** The shown terminal changed: search it instead (or close when there is none). */
  retarget(search: SearchAddon | null): void {
    if (!this.isOpen || search === this.search) return;
    this.search?.clearDecorations();
    this.search = search;
    if (!search) this.close();
    else if (this.input.value) this.run('incremental');
  }

  close(): void {
    if (this.el.hidden) return;
    this.el.hidden = true;
    this.search?.clearDecorations();
    this.search = null;
    this.count.textContent = '';
    this.onClose();
  }

  /** The addon's count of matches, for the search that is on. */
  results(search: SearchAddon, r: ISearchResultChangeEvent): void {
    if (search !== this.search || !this.isOpen) return;
    if (!this.input.value) this.count.textContent = '';
    else if (r.resultCount === 0) this.count.textContent = 'No results';
    else if (r.resultIndex < 0) this.count.textContent = `${r.resultCount}${r.resultCount >= 1000 ? '+' : ''} matches`;
    else this.count.textContent = `${r.resultIndex + 1} of ${r.resultCount}${r.resultCount >= 1000 ? '+' : ''}`;
    this.el.classList.toggle('no-results', r.resultCount === 0 && this.input.value !== '');
  }

  private run(how: 'next' | 'previous' | 'incremental'): void {
    const search = this.search;
    if (!search) return;
    const query = this.input.value;
    if (!query) {
      search.clearDecorations();
      this.count.textContent = '';
      this.el.classList.remove('no-results');
      return;
    }
    const opts: ISearchOptions = {
      caseSensitive: this.caseToggle.getAttribute('aria-pressed') === 'true',
      regex: this.regexToggle.getAttribute('aria-pressed') === 'true',
      incremental: how === 'incremental',
      decorations: decorations(),
    };
    try {
      const found = how === 'previous' ? search.findPrevious(query, opts) : search.findNext(query, opts);
      if (!found) {
        this.count.textContent = 'No results';
        this.el.classList.add('no-results');
      }
    } catch {
      // An unfinished regular expression: say so rather than throw.
      this.count.textContent = 'Invalid pattern';
      this.el.classList.add('no-results');
    }
  }
}
