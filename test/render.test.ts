import kleur from 'kleur';
import { afterEach, describe, expect, it } from 'vitest';
import { renderMarkdown, visibleWidth } from '../src/render/markdown.ts';

const ANSI = /\x1b\[[0-9;]*m/g;
const plain = (md: string, width = 80) => renderMarkdown(md, { width, color: false });
const colored = (md: string, width = 80) => renderMarkdown(md, { width, color: true });
const strip = (s: string) => s.replace(ANSI, '');
const lines = (s: string) => s.split('\n');

const PROSE =
  'A coroutine is a function that can pause itself and be resumed later. In JavaScript every ' +
  'async function is one: each await is a point where it hands control back to the event loop, ' +
  'which then runs whatever else is ready.';

const LESSON = `# Coroutines

<!-- author note: never shown -->

A **coroutine** can *pause*. Run \`node server.js\` and read [the docs](https://nodejs.org/api/).

## Lists

- Only one coroutine runs at a time, so two of them never touch the same object simultaneously.
- Nested:
  - timers fire late
  - sockets are not read

1. one
2. two

> Don't communicate by sharing memory; share memory by communicating.

| Model | Blocks? |
|:------|:-------:|
| Blocking | yes |

\`\`\`ts
const x = 1;
\`\`\`

---

Line one  
line two.
`;

describe('visibleWidth', () => {
  it('ignores ANSI escapes and counts wide characters twice', () => {
    expect(visibleWidth('\x1b[1m\x1b[36mhello\x1b[39m\x1b[22m')).toBe(5);
    expect(visibleWidth('日本')).toBe(4);
    expect(visibleWidth('e\u0301')).toBe(1);
  });
});

describe('paragraph wrapping', () => {
  it('wraps at the width without breaking words (no colour)', () => {
    const out = plain(PROSE, 40);
    expect(lines(out)).toEqual([
      'A coroutine is a function that can pause',
      'itself and be resumed later. In',
      'JavaScript every async function is one:',
      'each await is a point where it hands',
      'control back to the event loop, which',
      'then runs whatever else is ready.',
    ]);
  });

  it('wraps on visible width with colour: same lines once the escapes are stripped', () => {
    const md = `Some **bold words** and *emphasis* mixed into ${PROSE}`;
    const out = colored(md, 40);
    expect(out).toMatch(ANSI);
    expect(strip(out)).toBe(plain(md, 40));
    for (const line of lines(out)) expect(visibleWidth(line)).toBeLessThanOrEqual(40);
    // Styles are closed on every line, so nothing bleeds into prefixes or the next line.
    for (const line of lines(out)) {
      const codes = line.match(ANSI) ?? [];
      if (codes.length) expect(codes.at(-1)).toMatch(/\x1b\[(22|23|24|29|39)m/);
    }
  });

  it('keeps every line within the width at many widths, with and without colour', () => {
    for (const width of [30, 41, 57, 80, 100]) {
      for (const color of [false, true]) {
        const out = renderMarkdown(LESSON, { width, color });
        for (const line of lines(out)) expect(visibleWidth(line), line).toBeLessThanOrEqual(width);
      }
    }
  });

  it('breaks a word only when it is longer than the width', () => {
    expect(lines(plain('abcdefghijklmnopqrstuvwxyz end', 10))).toEqual(['abcdefghij', 'klmnopqrst', 'uvwxyz end']);
  });

  it('never breaks URLs, even when they are longer than the width', () => {
    const url = 'https://example.com/a/very/long/path/that/does/not/fit';
    expect(lines(plain(`See ${url} now.`, 20))).toEqual(['See', `${url}`, 'now.']);
    const out = plain(`Read [the guide](${url}) first.`, 20);
    expect(lines(out)).toEqual(['Read the guide', `(${url})`, 'first.']);
  });

  it('keeps hard breaks and joins soft ones', () => {
    expect(plain('one\ntwo  \nthree\\\nfour')).toBe('one two\nthree\nfour');
  });
});

describe('inline styles', () => {
  it('shows a link URL after its text, once', () => {
    expect(plain('Read [the docs](https://nodejs.org/api/).')).toBe('Read the docs (https://nodejs.org/api/).');
    expect(plain('Autolink <https://nodejs.org/>.')).toBe('Autolink https://nodejs.org/.');
    expect(plain('Mail <me@example.com>.')).toBe('Mail me@example.com.');
  });

  it('keeps backticks around inline code without colour, colours it otherwise', () => {
    expect(plain('Call `read(fd)` now.')).toBe('Call `read(fd)` now.');
    expect(colored('Call `read(fd)` now.')).toBe('Call \x1b[33mread(fd)\x1b[39m now.');
  });

  it('styles emphasis and strong with colour and drops the markers without', () => {
    expect(plain('a *b* **c** ~~d~~')).toBe('a b c d');
    const out = colored('a *b* **c**');
    expect(out).toContain('\x1b[3mb\x1b[23m');
    expect(out).toContain('\x1b[1mc\x1b[22m');
  });

  it('drops HTML comments, inline and block', () => {
    expect(plain('<!-- note -->\n\nText <!-- hidden --> here.')).toBe('Text here.');
  });
});

describe('blocks', () => {
  it('renders headings distinctly, with rules under h1 and h2', () => {
    expect(plain('# Title\n\n## Section\n\n### Detail\n\nText')).toBe(
      ['Title', '═════', '', 'Section', '───────', '', '### Detail', '', 'Text'].join('\n'),
    );
    const out = colored('# Title\n\n## Section');
    expect(out).toContain('\x1b[1m\x1b[35mTitle'); // h1: bold magenta
    expect(out).toContain('\x1b[1m\x1b[36mSection'); // h2: bold cyan
  });

  it('indents nested lists with hanging indentation of wrapped lines', () => {
    const md = '- first item that is long enough to wrap\n- second\n  - nested item that wraps as well\n  - short\n- third';
    expect(lines(plain(md, 30))).toEqual([
      '  • first item that is long',
      '    enough to wrap',
      '  • second',
      '      ◦ nested item that wraps',
      '        as well',
      '      ◦ short',
      '  • third',
    ]);
  });

  it('right-aligns ordered list numbers and separates loose items', () => {
    const md = Array.from({ length: 10 }, (_, i) => `${i + 1}. item ${i + 1}`).join('\n');
    const out = lines(plain(md));
    expect(out[0]).toBe('   1. item 1');
    expect(out[9]).toBe('  10. item 10');
    expect(plain('3. one\n\n   more\n4. two')).toBe('  3. one\n\n     more\n\n  4. two');
  });

  it('draws a block quote bar on every line, including wrapped and blank ones', () => {
    const md = '> Don\'t communicate by sharing memory; share memory by communicating.\n>\n> Second.';
    expect(lines(plain(md, 30))).toEqual([
      "│ Don't communicate by sharing",
      '│ memory; share memory by',
      '│ communicating.',
      '│',
      '│ Second.',
    ]);
  });

  it('shows the language of a fenced code block and never wraps code', () => {
    const long = 'console.log("a line of code that is much longer than the twenty columns");';
    const out = plain('```ts\nconst x = 1;\n\tindented();\n' + long + '\n```', 20);
    expect(lines(out)).toEqual(['  ── ts', '    const x = 1;', '        indented();', `    ${long}`]);
    expect(colored('```ts\nconst x = 1;\n```')).toContain('\x1b[33mconst x = 1;\x1b[39m');
  });

  it('renders a horizontal rule across the width', () => {
    expect(plain('a\n\n---\n\nb', 12)).toBe('a\n\n────────────\n\nb');
  });

  it('does not print quiz blocks', () => {
    const md = 'Before.\n\n```quiz\n? Q?\n- no\n+ yes\n```\n\nAfter.';
    expect(plain(md)).toBe('Before.\n\nAfter.');
  });
});

describe('tables', () => {
  it('draws a box with the column alignment from the Markdown', () => {
    const md = '| Model | Blocks? | Calls |\n|:--|:-:|--:|\n| Blocking | yes | 1 |\n| Multiplexing | no | 12 |';
    expect(plain(md)).toBe(
      [
        '┌──────────────┬─────────┬───────┐',
        '│ Model        │ Blocks? │ Calls │',
        '├──────────────┼─────────┼───────┤',
        '│ Blocking     │   yes   │     1 │',
        '│ Multiplexing │   no    │    12 │',
        '└──────────────┴─────────┴───────┘',
      ].join('\n'),
    );
  });

  it('shrinks to the width by wrapping the widest cells, with row separators', () => {
    const md =
      '| I/O model | Notes |\n|---|---|\n' +
      '| Non-blocking | busy polling unless it is combined with a readiness API such as epoll |\n' +
      '| Blocking | simplest |';
    const out = lines(plain(md, 40));
    for (const line of out) expect(visibleWidth(line)).toBe(40);
    expect(out).toEqual([
      '┌──────────────┬───────────────────────┐',
      '│ I/O model    │ Notes                 │',
      '├──────────────┼───────────────────────┤',
      '│ Non-blocking │ busy polling unless   │',
      '│              │ it is combined with a │',
      '│              │ readiness API such as │',
      '│              │ epoll                 │',
      '├──────────────┼───────────────────────┤',
      '│ Blocking     │ simplest              │',
      '└──────────────┴───────────────────────┘',
    ]);
  });
});

describe('colour switch', () => {
  const saved = kleur.enabled;
  afterEach(() => {
    kleur.enabled = saved;
  });

  it('emits no ANSI escapes at all when color is false, even if kleur is enabled', () => {
    kleur.enabled = true;
    expect(plain(LESSON)).not.toContain('\x1b');
  });

  it('emits ANSI escapes when color is true, even if kleur is disabled (no TTY)', () => {
    kleur.enabled = false;
    const out = colored(LESSON);
    expect(out).toMatch(ANSI);
    expect(out).not.toContain('author note');
  });

  it('leaves the global kleur switch as it found it', () => {
    for (const before of [true, false]) {
      kleur.enabled = before;
      colored(LESSON);
      plain(LESSON);
      expect(kleur.enabled).toBe(before);
    }
  });
});

describe('a whole lesson', () => {
  it('renders every kind of block in order, without colour', () => {
    expect(plain(LESSON, 80)).toBe(
      [
        'Coroutines',
        '══════════',
        '',
        'A coroutine can pause. Run `node server.js` and read the docs',
        '(https://nodejs.org/api/).',
        '',
        'Lists',
        '─────',
        '',
        '  • Only one coroutine runs at a time, so two of them never touch the same',
        '    object simultaneously.',
        '  • Nested:',
        '      ◦ timers fire late',
        '      ◦ sockets are not read',
        '',
        '  1. one',
        '  2. two',
        '',
        "│ Don't communicate by sharing memory; share memory by communicating.",
        '',
        '┌──────────┬─────────┐',
        '│ Model    │ Blocks? │',
        '├──────────┼─────────┤',
        '│ Blocking │   yes   │',
        '└──────────┴─────────┘',
        '',
        '  ── ts',
        '    const x = 1;',
        '',
        '────────────────────────────────────────────────────────────────────────────────',
        '',
        'Line one',
        'line two.',
      ].join('\n'),
    );
  });
});
