// Quiz blocks: fenced code blocks with the info string `quiz`, written in a tiny line format.
//
//   ? Question text (may continue on the following lines until the first choice)
//   - a wrong choice
//   + the right choice (exactly one per question)
//   > an optional explanation, shown after the learner answers (may span lines)
//
// A blank line or the next `?` ends a question. We find the fences with markdown-it rather than
// by scanning for backticks, so quizzes inside lists or quotes, `~~~` fences and fences nested
// in longer fences are all recognised exactly as the renderer sees them.
import MarkdownIt from 'markdown-it';

export interface QuizQuestion {
  question: string;
  choices: { text: string; correct: boolean }[];
  explanation?: string;
}

/** True for the info string of a quiz fence (```quiz). */
export function isQuizInfo(info: string): boolean {
  return info.trim().split(/\s+/)[0] === 'quiz';
}

const md = new MarkdownIt({ html: true });

/**
 * Splits a lesson into its prose (`body`, the Markdown with every quiz block removed) and the
 * questions of its quiz blocks, in order. Throws an Error naming the line (1-based, in
 * `markdown`) and the problem when a quiz block is malformed.
 */
export function extractQuiz(markdown: string): { body: string; questions: QuizQuestion[] } {
  // Same line splitting as markdown-it's normalisation, so token.map line numbers match.
  const lines = markdown.split(/\r\n?|\n/);
  const questions: QuizQuestion[] = [];
  const removed: [number, number][] = [];
  for (const token of md.parse(markdown, {})) {
    if (token.type !== 'fence' || !isQuizInfo(token.info) || !token.map) continue;
    const [start, end] = token.map;
    // Content line i is source line start + 1 + i (0-based), i.e. start + 2 + i counted from 1.
    questions.push(...parseQuiz(token.content, start + 2));
    removed.push([start, end]);
  }
  if (removed.length === 0) return { body: markdown, questions };

  const body: string[] = [];
  let next = 0;
  for (const [start, end] of removed) {
    body.push(...lines.slice(next, start));
    // Keep one blank line in place of the block, so the paragraphs around it cannot merge.
    body.push('');
    next = end;
  }
  body.push(...lines.slice(next));
  return { body: body.join('\n'), questions };
}

/** Parses the content of one quiz fence whose first content line is `firstLine` (1-based). */
function parseQuiz(content: string, firstLine: number): QuizQuestion[] {
  const fail = (line: number, what: string): never => {
    throw new Error(`malformed quiz at line ${line}: ${what}`);
  };
  const questions: QuizQuestion[] = [];
  let current: { q: QuizQuestion; line: number; correctLine: number } | null = null;
  // What an unprefixed line continues: the question, the last choice or the explanation.
  // Nothing after a blank line, so stray prose inside the block is reported, not swallowed.
  let continues: 'question' | 'choice' | 'explanation' | null = null;

  const finish = (): void => {
    if (!current) return;
    const { q, line } = current;
    if (q.choices.length === 0) fail(line, `question "${q.question}" has no choices ('- ' wrong, '+ ' right)`);
    if (current.correctLine === 0) fail(line, `question "${q.question}" has no correct choice (mark exactly one with '+ ')`);
    questions.push(q);
    current = null;
  };

  const contentLines = content.replace(/\n$/, '').split('\n');
  contentLines.forEach((raw, i) => {
    const lineNo = firstLine + i;
    const line = raw.trim();
    if (line === '') {
      continues = null;
      return;
    }
    const m = /^([?+>-])(?:\s+|$)(.*)$/.exec(line);
    const marker = m?.[1];
    const text = (m?.[2] ?? line).trim();

    if (marker === '?') {
      finish();
      if (text === '') fail(lineNo, "empty question after '?'");
      current = { q: { question: text, choices: [] }, line: lineNo, correctLine: 0 };
      continues = 'question';
      return;
    }
    if (!current) {
      fail(lineNo, `text outside a question (start each question with '? '): "${line}"`);
      return;
    }
    const q = current.q;
    if (marker === '-' || marker === '+') {
      if (q.explanation !== undefined) fail(lineNo, 'choice after the explanation (put "> " lines after all choices)');
      if (text === '') fail(lineNo, `empty choice after '${marker}'`);
      if (marker === '+') {
        if (current.correctLine) {
          fail(lineNo, `second correct choice ('+') in the question at line ${current.line} (the first is at line ${current.correctLine}); exactly one is allowed`);
        }
        current.correctLine = lineNo;
      }
      q.choices.push({ text, correct: marker === '+' });
      continues = 'choice';
    } else if (marker === '>') {
      q.explanation = q.explanation === undefined ? text : `${q.explanation} ${text}`.trim();
      continues = 'explanation';
    } else if (continues === 'question') {
      q.question += ` ${text}`;
    } else if (continues === 'choice') {
      q.choices[q.choices.length - 1]!.text += ` ${text}`;
    } else if (continues === 'explanation') {
      q.explanation = `${q.explanation ?? ''} ${text}`;
    } else {
      fail(lineNo, `text outside a question (start each question with '? '): "${line}"`);
    }
  });
  finish();
  if (questions.length === 0) fail(firstLine - 1, 'quiz block has no questions');
  return questions;
}
