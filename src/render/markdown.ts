// Renders lesson Markdown as styled terminal text.
//
// markdown-it turns the lesson into a flat token stream; we walk it once. Container tokens
// (lists, list items, block quotes) push a *frame*: the text every line inside them starts with
// (`  • ` on an item's first line and `    ` after it, `│ ` in a quote). Leaf blocks (paragraphs,
// headings, code, tables, rules) produce lines that `emit` prefixes with the open frames, so
// nesting and hanging indentation come for free and wrapping only needs to know the width left.
//
// Inline content is flattened into styled pieces, wrapped on visible width, and each line is
// styled on its own: no escape sequence ever spans a line break, so prefixes and table borders
// can be put around any line safely.
import MarkdownIt from 'markdown-it';
import type { Token } from 'markdown-it';
import kleur from 'kleur';
import { isQuizInfo } from './quiz.ts';

export interface RenderOptions {
  /** Columns available; prose is wrapped to this. Code blocks and long URLs may exceed it. */
  width: number;
  /** Style with ANSI escapes; when false the output contains none. */
  color: boolean;
}

type Style = (s: string) => string;
const plain: Style = (s) => s;

// `html: true` so that HTML comments are parsed as HTML (and dropped) instead of shown as text.
const md = new MarkdownIt({ html: true });

// ---------------------------------------------------------------------------------------------
// Visible width

// CSI sequences (colours) and OSC sequences (hyperlinks), which take no columns.
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)/g;
const ZERO_WIDTH = /[\p{Mn}\p{Me}\p{Cf}]/u;

function charWidth(ch: string): number {
  const cp = ch.codePointAt(0)!;
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || ZERO_WIDTH.test(ch)) return 0;
  // East Asian wide and fullwidth characters and emoji take two columns.
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f680 && cp <= 0x1f6ff) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

/** Terminal columns taken by `s`: ANSI escapes count zero, wide characters two. */
export function visibleWidth(s: string): number {
  let width = 0;
  for (const ch of s.replace(ANSI, '')) width += charWidth(ch);
  return width;
}

// ---------------------------------------------------------------------------------------------
// Theme: every style is chosen once per call from options.color, so nothing leaks between calls.

interface Theme {
  color: boolean;
  h1: Style;
  h2: Style;
  h3: Style;
  headingRule: Style;
  strong: Style;
  em: Style;
  strike: Style;
  code: Style;
  codeBlock: Style;
  codeLabel: Style;
  link: Style;
  url: Style;
  bullet: Style;
  quoteBar: Style;
  rule: Style;
  border: Style;
  th: Style;
  html: Style;
}

function makeTheme(color: boolean): Theme {
  const k = (style: Style): Style => (color ? style : plain);
  return {
    color,
    h1: k((s) => kleur.bold().magenta(s)),
    h2: k((s) => kleur.bold().cyan(s)),
    h3: k((s) => kleur.bold(s)),
    headingRule: k((s) => kleur.dim(s)),
    strong: k((s) => kleur.bold(s)),
    em: k((s) => kleur.italic(s)),
    strike: k((s) => kleur.strikethrough(s)),
    code: k((s) => kleur.yellow(s)),
    codeBlock: k((s) => kleur.yellow(s)),
    codeLabel: k((s) => kleur.dim(s)),
    link: k((s) => kleur.underline().blue(s)),
    url: k((s) => kleur.dim(s)),
    bullet: k((s) => kleur.cyan(s)),
    quoteBar: k((s) => kleur.gray(s)),
    rule: k((s) => kleur.dim(s)),
    border: k((s) => kleur.dim(s)),
    th: k((s) => kleur.bold(s)),
    html: k((s) => kleur.dim(s)),
  };
}

// ---------------------------------------------------------------------------------------------
// Inline content: pieces of text with a style, then word wrapping.

interface Piece {
  text: string;
  style: Style;
  /** Never split (URLs): a too-long one overflows the line rather than break. */
  whole?: boolean;
}
type Inline = (Piece | 'br')[];

/** Flattens an inline token's children into styled pieces; `base` styles all of them (headings). */
function inlinePieces(children: Token[], theme: Theme, base: Style = plain): Inline {
  const out: Inline = [];
  let strong = 0;
  let em = 0;
  let strike = 0;
  const links: { href: string; start: number }[] = [];
  // Innermost style first, the block's base style last, so e.g. bold code in a heading works.
  const style = (inner: Style = plain): Style => {
    const layers: Style[] = [inner];
    if (links.length) layers.push(theme.link);
    if (strike) layers.push(theme.strike);
    if (em) layers.push(theme.em);
    if (strong) layers.push(theme.strong);
    layers.push(base);
    return (s) => layers.reduce((acc, f) => f(acc), s);
  };
  const urlPieces = (text: string, url: string): void => {
    if (sameTarget(text, url)) return;
    out.push({ text: ' ', style: plain }, { text: `(${url})`, style: theme.url, whole: true });
  };

  for (const t of children) {
    switch (t.type) {
      case 'text':
        out.push({ text: t.content, style: style() });
        break;
      case 'code_inline':
        // Without colour the backticks are the only thing marking code, so keep them.
        out.push({ text: theme.color ? t.content : `\`${t.content}\``, style: style(theme.code) });
        break;
      case 'softbreak':
        out.push({ text: ' ', style: plain });
        break;
      case 'hardbreak':
        out.push('br');
        break;
      case 'strong_open': strong++; break;
      case 'strong_close': strong--; break;
      case 'em_open': em++; break;
      case 'em_close': em--; break;
      case 's_open': strike++; break;
      case 's_close': strike--; break;
      case 'link_open':
        links.push({ href: String(t.attrGet('href') ?? ''), start: out.length });
        break;
      case 'link_close': {
        const link = links.pop();
        if (!link) break;
        const text = out.slice(link.start).map((p) => (p === 'br' ? ' ' : p.text)).join('');
        urlPieces(text, link.href);
        break;
      }
      case 'image':
        out.push({ text: `[image: ${t.content || 'untitled'}]`, style: style() });
        urlPieces('', String(t.attrGet('src') ?? ''));
        break;
      case 'html_inline':
        // Comments and inline tags carry nothing a terminal can show.
        break;
      default:
        if (t.content) out.push({ text: t.content, style: style() });
    }
  }
  return out;
}

/** A link's URL is worth printing unless it just repeats the text (autolinks, mailto:). */
function sameTarget(text: string, url: string): boolean {
  const bare = (s: string) => s.trim().replace(/^mailto:/i, '').replace(/\/$/, '');
  return url === '' || bare(text) === bare(url);
}

type Word = Piece[];

/** Groups pieces into words (runs without whitespace, possibly mixing styles) and line breaks. */
function toWords(pieces: Inline): (Word | 'br')[] {
  const words: (Word | 'br')[] = [];
  let word: Word = [];
  const end = () => {
    if (word.length) words.push(word);
    word = [];
  };
  for (const p of pieces) {
    if (p === 'br') {
      end();
      words.push('br');
      continue;
    }
    for (const part of p.whole ? [p.text] : p.text.split(/(\s+)/)) {
      if (part === '') continue;
      if (/^\s+$/.test(part)) end();
      else word.push({ ...p, text: part });
    }
  }
  end();
  return words;
}

const wordWidth = (w: Word) => w.reduce((n, p) => n + visibleWidth(p.text), 0);
// Bare URLs in prose stay whole too, even with surrounding punctuation: "(see https://x/y)."
const isWhole = (w: Word) => w.some((p) => p.whole) || /^\W*[a-z][a-z0-9+.-]*:\/\/\S/i.test(w.map((p) => p.text).join(''));

/** Styles one line of pieces, merging neighbours with the same style into one escape run. */
function paint(line: Piece[]): string {
  let out = '';
  for (let i = 0; i < line.length; ) {
    let j = i;
    let text = '';
    while (j < line.length && line[j]!.style === line[i]!.style) text += line[j++]!.text;
    out += line[i]!.style(text);
    i = j;
  }
  return out;
}

/** Splits a word longer than `width` into chunks of at most `width` columns. */
function chop(word: Word, width: number): Word[] {
  const chunks: Word[] = [[]];
  let used = 0;
  for (const piece of word) {
    for (const ch of piece.text) {
      const w = charWidth(ch);
      if (used + w > width && used > 0) {
        chunks.push([]);
        used = 0;
      }
      chunks[chunks.length - 1]!.push({ ...piece, text: ch });
      used += w;
    }
  }
  return chunks;
}

/** Greedy word wrap to `width` visible columns; returns styled lines. */
function wrap(pieces: Inline, width: number): string[] {
  const lines: string[] = [];
  let line: Piece[] = [];
  let used = 0;
  const flush = () => {
    lines.push(paint(line));
    line = [];
    used = 0;
  };
  for (const word of toWords(pieces)) {
    if (word === 'br') {
      flush();
      continue;
    }
    const w = wordWidth(word);
    if (line.length && used + 1 + w <= width) {
      // The space takes the style of the words around it when they share one (underlined links).
      const prev = line[line.length - 1]!.style;
      line.push({ text: ' ', style: prev === word[0]!.style ? prev : plain }, ...word);
      used += 1 + w;
      continue;
    }
    if (line.length) flush();
    if (w <= width || isWhole(word)) {
      line.push(...word);
      used = w;
      continue;
    }
    const chunks = chop(word, width);
    chunks.forEach((chunk, i) => {
      line.push(...chunk);
      used = wordWidth(chunk);
      if (i < chunks.length - 1) flush();
    });
  }
  if (line.length) flush();
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Tables

type Align = 'left' | 'center' | 'right';

interface TableState {
  rows: Inline[][];
  aligns: Align[];
  headerRows: number;
  inHead: boolean;
}

function pad(s: string, width: number, align: Align): string {
  const room = Math.max(0, width - visibleWidth(s));
  if (align === 'right') return ' '.repeat(room) + s;
  if (align === 'center') return ' '.repeat(room >> 1) + s + ' '.repeat(room - (room >> 1));
  return s + ' '.repeat(room);
}

/** Lays a table out in a box no wider than `width`, wrapping cells when it must shrink. */
function renderTable(table: TableState, width: number, theme: Theme): string[] {
  const cols = Math.max(...table.rows.map((r) => r.length));
  const cellWords = table.rows.map((r) => r.map((cell) => toWords(cell).filter((w) => w !== 'br') as Word[]));
  const natural: number[] = [];
  const longestWord: number[] = [];
  for (let c = 0; c < cols; c++) {
    natural[c] = 1;
    longestWord[c] = 1;
    for (const row of cellWords) {
      const words = row[c] ?? [];
      const total = words.reduce((n, w) => n + wordWidth(w), 0) + Math.max(0, words.length - 1);
      natural[c] = Math.max(natural[c]!, total);
      longestWord[c] = Math.max(longestWord[c]!, ...words.map((w) => (isWhole(w) ? 1 : wordWidth(w))));
    }
  }

  // Each column costs its content plus "│ " and " ", and the box one more "│".
  const budget = width - (3 * cols + 1);
  const widths = [...natural];
  const total = () => widths.reduce((a, b) => a + b, 0);
  // Shrink the widest column first; break inside words only when no column can give more.
  while (total() > budget) {
    let pick = -1;
    for (const floor of [longestWord, widths.map(() => 1)]) {
      for (let c = 0; c < cols; c++) {
        if (widths[c]! > floor[c]! && (pick < 0 || widths[c]! > widths[pick]!)) pick = c;
      }
      if (pick >= 0) break;
    }
    if (pick < 0) break;
    widths[pick]!--;
  }

  const b = theme.border;
  const line = (l: string, m: string, r: string) => b(l + widths.map((w) => '─'.repeat(w + 2)).join(m) + r);
  const out = [line('┌', '┬', '┐')];
  const rendered = table.rows.map((row, r) => {
    const cells = widths.map((w, c) => {
      const cell = row[c] ?? [];
      const pieces = r < table.headerRows ? cell.map((p) => (p === 'br' ? p : { ...p, style: compose(p.style, theme.th) })) : cell;
      return wrap(pieces, w);
    });
    const height = Math.max(1, ...cells.map((c) => c.length));
    const lines: string[] = [];
    for (let i = 0; i < height; i++) {
      const parts = cells.map((c, col) => pad(c[i] ?? '', widths[col]!, table.aligns[col] ?? 'left'));
      lines.push(b('│') + parts.map((p) => ` ${p} `).join(b('│')) + b('│'));
    }
    return lines;
  });
  // Rows that wrapped would run into each other, so then every body row gets a separator.
  const tall = rendered.slice(table.headerRows).some((lines) => lines.length > 1);
  rendered.forEach((lines, r) => {
    if (r > 0 && (r === table.headerRows || tall)) out.push(line('├', '┼', '┤'));
    out.push(...lines);
  });
  out.push(line('└', '┴', '┘'));
  return out;
}

const compose = (inner: Style, outer: Style): Style => (s) => outer(inner(s));

// ---------------------------------------------------------------------------------------------
// The block walk

interface Frame {
  first: string;
  rest: string;
  style: Style;
  used: boolean;
}

interface ListState {
  ordered: boolean;
  tight: boolean;
  markerWidth: number;
}

const BULLETS = ['•', '◦', '▪'];

/** Looks ahead from a list's open token: item count and whether markdown-it made it tight. */
function scanList(tokens: Token[], open: number): { items: number; tight: boolean } {
  const level = tokens[open]!.level;
  let items = 0;
  let tight = true;
  let seenParagraph = false;
  for (let i = open + 1; i < tokens.length && tokens[i]!.level > level; i++) {
    const t = tokens[i]!;
    if (t.type === 'list_item_open' && t.level === level + 1) items++;
    // markdown-it hides the paragraphs of tight lists; one visible paragraph makes it loose.
    if (t.type === 'paragraph_open' && t.level === level + 2 && !seenParagraph) {
      seenParagraph = true;
      tight = t.hidden;
    }
  }
  return { items, tight };
}

/**
 * Renders Markdown as terminal text `options.width` columns wide (prose is wrapped; code blocks
 * and URLs are never broken). Quiz blocks (```quiz) are left out; see extractQuiz.
 * The result has no trailing newline.
 */
export function renderMarkdown(markdown: string, options: RenderOptions): string {
  // kleur 4 only has a global on/off switch, and it starts off when stdout is not a TTY. The walk
  // is synchronous, so switching it for the duration of this call and restoring it afterwards
  // cannot be observed by anyone else. With color off the theme is all plain functions anyway.
  const saved = kleur.enabled;
  kleur.enabled = options.color;
  try {
    const width = Number.isFinite(options.width) ? Math.max(1, Math.floor(options.width)) : 80;
    return render(md.parse(markdown, {}), width, makeTheme(options.color));
  } finally {
    kleur.enabled = saved;
  }
}

function render(tokens: Token[], width: number, theme: Theme): string {
  const out: string[] = [];
  const frames: Frame[] = [];
  const lists: ListState[] = [];
  let table: TableState | null = null;
  let heading = 0;
  // A blank line is owed before the next block (set when a block ends, paid by `separate`).
  let gap = false;

  const indent = () => frames.reduce((n, f) => n + visibleWidth(f.rest), 0);
  const avail = () => Math.max(1, width - indent());

  const emit = (line: string) => {
    const prefix = frames.map((f) => {
      const s = f.used ? f.rest : f.first;
      f.used = true;
      return s.trim() ? f.style(s) : s; // no escapes around bare indentation
    });
    out.push(prefix.join('') + line);
  };
  // A blank line keeps the quote bars but not trailing spaces, nor an item's unused marker.
  const blank = () => {
    const last = frames.findLastIndex((f) => f.rest.trim() !== '');
    out.push(frames.slice(0, last + 1).map((f, i) => f.style(i === last ? f.rest.trimEnd() : f.rest)).join(''));
  };
  const separate = () => {
    if (gap && out.length) blank();
    gap = false;
  };

  tokens.forEach((t, i) => {
    switch (t.type) {
      case 'heading_open':
        separate();
        heading = Number(t.tag.slice(1));
        break;
      case 'heading_close':
        heading = 0;
        gap = true;
        break;
      case 'paragraph_open':
        separate();
        break;
      case 'paragraph_close':
        // Paragraphs of tight list items are hidden: no blank line after them.
        if (!t.hidden) gap = true;
        break;

      case 'inline': {
        if (table) {
          table.rows[table.rows.length - 1]!.push(inlinePieces(t.children ?? [], theme));
          break;
        }
        if (!heading) {
          for (const line of wrap(inlinePieces(t.children ?? [], theme), avail())) emit(line);
          break;
        }
        // Headings: h1 and h2 get a rule under them (visible with or without colour); without
        // colour, deeper headings keep their #s so they still stand out from prose.
        const style = heading === 1 ? theme.h1 : heading === 2 ? theme.h2 : theme.h3;
        const pieces = inlinePieces(t.children ?? [], theme, style);
        if (heading > 2 && !theme.color) pieces.unshift({ text: '#'.repeat(heading) + ' ', style: plain });
        const lines = wrap(pieces, avail());
        lines.forEach(emit);
        if (heading <= 2) {
          const w = Math.min(avail(), Math.max(...lines.map(visibleWidth)));
          emit(theme.headingRule((heading === 1 ? '═' : '─').repeat(w)));
        }
        break;
      }

      case 'bullet_list_open':
      case 'ordered_list_open': {
        separate();
        const { items, tight } = scanList(tokens, i);
        const start = Number(t.attrGet('start') ?? 1);
        const ordered = t.type === 'ordered_list_open';
        lists.push({ ordered, tight, markerWidth: ordered ? String(start + items - 1).length + 1 : 1 });
        break;
      }
      case 'bullet_list_close':
      case 'ordered_list_close':
        lists.pop();
        gap = true;
        break;
      case 'list_item_open': {
        const list = lists[lists.length - 1]!;
        if (!list.tight) separate();
        gap = false;
        // Numbers are right-aligned so that 9. and 10. start their text in the same column.
        const depth = lists.filter((l) => !l.ordered).length - 1;
        const marker = list.ordered ? `${t.info}${t.markup}`.padStart(list.markerWidth) : BULLETS[depth % BULLETS.length]!;
        const first = `  ${marker} `;
        frames.push({ first, rest: ' '.repeat(visibleWidth(first)), style: theme.bullet, used: false });
        break;
      }
      case 'list_item_close': {
        // An empty item still shows its marker.
        const item = frames[frames.length - 1];
        if (item && !item.used) {
          item.first = item.first.trimEnd();
          emit('');
        }
        frames.pop();
        break;
      }

      case 'blockquote_open':
        separate();
        frames.push({ first: '│ ', rest: '│ ', style: theme.quoteBar, used: false });
        break;
      case 'blockquote_close':
        frames.pop();
        gap = true;
        break;

      case 'fence':
      case 'code_block': {
        if (t.type === 'fence' && isQuizInfo(t.info)) break; // quizzes are asked, not printed
        separate();
        // Code is never wrapped (that would change its meaning) and gets no border, so that it can
        // be copied from the terminal as is; it is indented and coloured instead. Tabs are expanded
        // because the terminal's tab stops do not know about our indentation.
        const lang = t.info.trim().split(/\s+/)[0] ?? '';
        if (lang) emit(theme.codeLabel(`  ── ${lang}`));
        for (const line of t.content.replace(/\n$/, '').split('\n')) {
          const code = expandTabs(line).trimEnd();
          emit(code ? `    ${theme.codeBlock(code)}` : '');
        }
        gap = true;
        break;
      }

      case 'hr':
        separate();
        emit(theme.rule('─'.repeat(avail())));
        gap = true;
        break;

      case 'html_block':
        if (/^\s*<!--[\s\S]*-->\s*$/.test(t.content)) break; // comments are notes to authors
        separate();
        for (const line of t.content.replace(/\n$/, '').split('\n')) emit(theme.html(line));
        gap = true;
        break;

      case 'table_open':
        separate();
        table = { rows: [], aligns: [], headerRows: 0, inHead: false };
        break;
      case 'thead_open':
        if (table) table.inHead = true;
        break;
      case 'thead_close':
        if (table) table.inHead = false;
        break;
      case 'tr_open':
        if (table) {
          table.rows.push([]);
          if (table.inHead) table.headerRows++;
        }
        break;
      case 'th_open':
      case 'td_open':
        if (table && table.rows.length === 1) {
          const align = /text-align:\s*(left|center|right)/.exec(String(t.attrGet('style') ?? ''))?.[1];
          table.aligns.push((align as Align | undefined) ?? 'left');
        }
        break;
      case 'table_close':
        if (table) renderTable(table, avail(), theme).forEach(emit);
        table = null;
        gap = true;
        break;
    }
  });
  return out.join('\n');
}

function expandTabs(line: string, stop = 4): string {
  let out = '';
  for (const ch of line) out += ch === '\t' ? ' '.repeat(stop - (visibleWidth(out) % stop)) : ch;
  return out;
}
