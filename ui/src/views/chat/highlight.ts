// Colours for fenced code in an agent's text: highlight.js's core with a
// handful of languages registered by hand (the full bundle is ~190 languages
// and 1 MB). Its classes are mapped onto the engine's `sy-` theme classes, so
// code in a chat wears the same colours as code in a diff. Its output passes
// the same sanitiser as the markdown: spans with classes, nothing else.

import DOMPurify from 'dompurify';
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import ini from 'highlight.js/lib/languages/ini';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import shell from 'highlight.js/lib/languages/shell';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';

const LANGUAGES = { bash, c, cpp, css, diff, go, ini, java, javascript, json, python, rust, shell, sql, typescript, xml, yaml };
for (const [name, lang] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, lang);

/** A block longer than this is left plain: the growing tail of a message is drawn again on every flush. */
const MAX_CODE = 20_000;

/** highlight.js scopes → the TextMate scopes the `sy-` theme colours (as syntect writes them). */
const SCOPES: Record<string, string> = {
  keyword: 'keyword',
  built_in: 'support function',
  type: 'storage type',
  literal: 'constant language',
  number: 'constant numeric',
  string: 'string',
  regexp: 'string regexp',
  char: 'string',
  comment: 'comment',
  doctag: 'comment',
  meta: 'keyword other',
  title: 'entity name',
  'title.function': 'entity name function',
  'title.class': 'entity name class',
  'title.class.inherited': 'entity other inherited-class',
  params: 'variable parameter',
  attr: 'entity other attribute-name',
  attribute: 'entity other attribute-name',
  variable: 'variable',
  'variable.language': 'variable language',
  'variable.constant': 'constant other',
  property: 'variable other member',
  symbol: 'constant other symbol',
  tag: 'entity name tag',
  name: 'entity name tag',
  operator: 'keyword operator',
  punctuation: 'punctuation',
  subst: 'variable',
  section: 'markup heading',
  bullet: 'markup list',
  addition: 'markup inserted',
  deletion: 'markup deleted',
};

const PURIFY = { ALLOWED_TAGS: ['span'], ALLOWED_ATTR: ['class'], RETURN_DOM_FRAGMENT: true as const };

/** Colours `code` (a fenced block's text, already plain text in the DOM) when its language is known. */
export function highlightCode(code: Element, lang: string): void {
  const text = code.textContent ?? '';
  if (text.length > MAX_CODE || !hljs.getLanguage(lang)) return;
  let html: string;
  try {
    html = hljs.highlight(text, { language: lang, ignoreIllegals: true }).value;
  } catch {
    return;
  }
  const frag = DOMPurify.sanitize(html, PURIFY);
  for (const span of frag.querySelectorAll('span')) {
    // `hljs-title function_` is the scope `title.function`.
    const [first, ...subs] = [...span.classList];
    const scope = first?.startsWith('hljs-') ? [first.slice('hljs-'.length), ...subs.map((s) => s.replace(/_+$/, ''))].join('.') : '';
    const mapped = SCOPES[scope] ?? SCOPES[scope.split('.')[0] ?? ''];
    span.className = mapped ? mapped.split(' ').map((s) => `sy-${s}`).join(' ') : '';
    if (!mapped) span.removeAttribute('class');
  }
  code.replaceChildren(frag);
  code.classList.add('highlighted');
}
