// An agent's text as markdown: parsed by marked, then sanitised by DOMPurify
// with a short list of tags, so nothing an agent says runs or loads anything.
// A streaming message is rendered append-only: the text up to its last blank
// line outside a code fence is settled into blocks that are never drawn again,
// and only the paragraph still growing is re-rendered — or not even that while
// it is plain prose, whose new text is appended to its text node (see PLAIN).
// Fenced code in a known language is coloured (highlight.ts), its output
// sanitised the same way.

import DOMPurify from 'dompurify';
import { Marked } from 'marked';
import { highlightCode } from './highlight';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const marked = new Marked({
  async: false,
  gfm: true,
  breaks: false,
  renderer: {
    // Raw HTML is shown as text: `Vec<T>` outside backticks must not vanish as a tag.
    html({ text }) {
      return escapeHtml(text);
    },
    // Images are not fetched: an agent's text must not make the page load URLs.
    image({ text, href }) {
      return escapeHtml(text || href);
    },
    // A task list's box as a glyph, so no form control needs to pass the sanitiser.
    checkbox({ checked }) {
      return `<span class="md-check">${checked ? '☑' : '☐'}</span> `;
    },
  },
});

const PURIFY = {
  ALLOWED_TAGS: [
    'p', 'br', 'hr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'strong', 'em', 'del', 's', 'code', 'pre', 'blockquote',
    'ul', 'ol', 'li', 'a', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'span',
  ],
  ALLOWED_ATTR: ['href', 'title', 'class', 'start', 'align'],
  RETURN_DOM_FRAGMENT: true as const,
};

/** Markdown as sanitised DOM. */
export function renderMarkdown(text: string): DocumentFragment {
  const html = marked.parse(text, { async: false });
  const frag = DOMPurify.sanitize(html, PURIFY);
  // Say what language a fenced block is in, from marked's `language-x` class.
  for (const code of frag.querySelectorAll('pre > code[class^="language-"]')) {
    const lang = code.className.slice('language-'.length).split(/\s/)[0];
    if (!lang) continue;
    code.parentElement?.setAttribute('data-lang', lang);
    highlightCode(code, lang.toLowerCase());
  }
  return frag;
}

/** A tail re-rendered more often than this many characters waits a little between renders. */
const LARGE_TAIL = 32 * 1024;

/**
 * A tail that starts with a letter and holds no newline and none of the
 * characters markdown gives meaning to inside a line (emphasis, code, links,
 * HTML, entities, escapes, tables, e-mail autolinks) is one paragraph of just
 * that text, and stays so as more such text comes: it is appended to the
 * paragraph's text node, so neither marked nor the sanitiser runs again and
 * the browser lays out only what was added. `www.` and `://` start autolinks
 * from letters alone: text with them is rendered.
 */
const PLAIN = /^[^\n*_`~\\[\]<>&|#@!]*$/;
const PLAIN_START = /^[A-Za-z]/;
const AUTOLINK = /www\.|:\/\//i;

/**
 * A message that grows: `append` text, `flush` to draw. Each flush renders the
 * new settled blocks once and redraws only the tail.
 */
export class MarkdownStream {
  readonly el: HTMLElement;
  private readonly tail: HTMLElement;
  private text = '';
  /** Characters already drawn into settled blocks. */
  private settled = 0;
  /** Where the fence scan has reached (always at a line start). */
  private scanned = 0;
  /** The open fence's marker (``` or ~~~, with its length), if inside one. */
  private fence: string | null = null;
  /** The last position after a blank line outside a fence. */
  private boundary = 0;
  private drawnTail = -1;
  private lastTailDraw = 0;
  /** The tail's text node while the tail is plain prose (see PLAIN), else null. */
  private plain: Text | null = null;
  /** The white space marked took off the end of the plain tail: it goes back before what follows. */
  private plainGap = '';

  constructor(className: string) {
    this.tail = document.createElement('div');
    this.tail.className = 'md-block md-tail';
    this.el = document.createElement('div');
    this.el.className = className;
    this.el.append(this.tail);
  }

  get value(): string {
    return this.text;
  }

  append(text: string): void {
    this.text += text;
  }

  /** Replaces the whole text (an entry replaced in place). */
  reset(text: string): void {
    if (text.startsWith(this.text)) {
      this.text = text;
      return;
    }
    for (const block of [...this.el.children]) if (block !== this.tail) block.remove();
    this.text = text;
    this.settled = 0;
    this.scanned = 0;
    this.fence = null;
    this.boundary = 0;
    this.drawnTail = -1;
    this.plain = null;
  }

  /** Draws what changed; false when a large tail was left for a later flush. */
  flush(force = false): boolean {
    this.scan();
    if (this.boundary > this.settled) {
      const block = document.createElement('div');
      block.className = 'md-block';
      block.append(renderMarkdown(this.text.slice(this.settled, this.boundary)));
      this.el.insertBefore(block, this.tail);
      this.settled = this.boundary;
      this.drawnTail = -1;
      this.plain = null;
    }
    const tailLen = this.text.length - this.settled;
    if (tailLen === this.drawnTail) return true;
    if (this.plain && this.drawnTail >= 0) {
      const from = this.settled + this.drawnTail;
      const more = this.text.slice(from);
      // The last characters drawn too: `www.` or `://` may straddle the two.
      if (PLAIN.test(more) && !AUTOLINK.test(this.text.slice(Math.max(this.settled, from - 3)))) {
        this.plain.appendData(this.plainGap + more);
        this.plainGap = '';
        this.drawnTail = tailLen;
        return true;
      }
    }
    const now = performance.now();
    if (!force && tailLen > LARGE_TAIL && now - this.lastTailDraw < 250) return false;
    this.lastTailDraw = now;
    this.drawnTail = tailLen;
    const tail = this.text.slice(this.settled);
    this.tail.replaceChildren(renderMarkdown(tail));
    const p = this.tail.firstChild;
    const text = p?.firstChild;
    const rendered = text instanceof Text ? text.data : '';
    this.plain =
      PLAIN_START.test(tail) &&
      PLAIN.test(tail) &&
      !AUTOLINK.test(tail) &&
      p instanceof HTMLParagraphElement &&
      p === this.tail.lastChild &&
      text instanceof Text &&
      text === p.lastChild &&
      tail.startsWith(rendered) &&
      tail.slice(rendered.length).trim() === ''
        ? text
        : null;
    this.plainGap = this.plain ? tail.slice(rendered.length) : '';
    return true;
  }

  /** Finds blank lines outside code fences among the complete lines not yet scanned. */
  private scan(): void {
    const text = this.text;
    let at = this.scanned;
    for (;;) {
      const nl = text.indexOf('\n', at);
      if (nl < 0) break;
      const line = text.slice(at, nl);
      if (this.fence) {
        const m = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(line);
        if (m && m[1] && m[1][0] === this.fence[0] && m[1].length >= this.fence.length) this.fence = null;
      } else {
        const m = /^ {0,3}(`{3,}|~{3,})/.exec(line);
        if (m && m[1]) this.fence = m[1];
        else if (line.trim() === '') this.boundary = nl + 1;
      }
      at = nl + 1;
    }
    this.scanned = at;
  }
}
