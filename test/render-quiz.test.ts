import { describe, expect, it } from 'vitest';
import { extractQuiz } from '../src/render/quiz.ts';

const LESSON = `# Coroutines

Some prose.

\`\`\`quiz
? Which statement about coroutines
is true?
- They run on several cores at once.
+ They are scheduled by the program, not the kernel.
- The kernel preempts them.
> Explanation shown after the learner answers,
> spanning two lines.

? Next question?
+ \`await\` yields to the event loop.
- Nothing.
\`\`\`

More prose.
`;

describe('extractQuiz', () => {
  it('parses questions, choices and explanations', () => {
    const { questions } = extractQuiz(LESSON);
    expect(questions).toEqual([
      {
        question: 'Which statement about coroutines is true?',
        choices: [
          { text: 'They run on several cores at once.', correct: false },
          { text: 'They are scheduled by the program, not the kernel.', correct: true },
          { text: 'The kernel preempts them.', correct: false },
        ],
        explanation: 'Explanation shown after the learner answers, spanning two lines.',
      },
      {
        question: 'Next question?',
        choices: [
          { text: '`await` yields to the event loop.', correct: true },
          { text: 'Nothing.', correct: false },
        ],
      },
    ]);
    expect('explanation' in questions[1]!).toBe(false);
  });

  it('removes quiz blocks from the body and keeps everything else', () => {
    const { body } = extractQuiz(LESSON);
    expect(body).not.toContain('quiz');
    expect(body).not.toContain('Which statement');
    expect(body).toBe('# Coroutines\n\nSome prose.\n\n\n\nMore prose.\n');
  });

  it('collects questions from several blocks and ignores other code blocks', () => {
    const md = '```quiz\n? A?\n+ a\n- b\n```\n\n```ts\n? not a quiz\n```\n\n~~~quiz\n? B?\n- a\n+ b\n~~~\n';
    const { body, questions } = extractQuiz(md);
    expect(questions.map((q) => q.question)).toEqual(['A?', 'B?']);
    expect(body).toContain('? not a quiz');
  });

  it('returns a lesson without quizzes unchanged', () => {
    expect(extractQuiz('# Title\n\ntext\n')).toEqual({ body: '# Title\n\ntext\n', questions: [] });
  });
});

describe('malformed quiz blocks', () => {
  // The block's first content line is line 4 of the file.
  const quiz = (content: string) => `# T\n\n\`\`\`quiz\n${content}\n\`\`\`\n`;

  it('rejects a question without a correct choice, naming its line', () => {
    expect(() => extractQuiz(quiz('? Q1?\n+ a\n- b\n\n? Q2?\n- a\n- b'))).toThrow(/line 8: .*no correct choice/);
  });

  it('rejects a second correct choice, naming its line', () => {
    expect(() => extractQuiz(quiz('? Q?\n+ a\n+ b'))).toThrow(/line 6: second correct choice .*line 4/);
  });

  it('rejects a question without choices', () => {
    expect(() => extractQuiz(quiz('? Q?\n> why'))).toThrow(/line 4: .*no choices/);
  });

  it('rejects text outside a question', () => {
    expect(() => extractQuiz(quiz('Some text\n? Q?\n+ a'))).toThrow(/line 4: text outside a question/);
    expect(() => extractQuiz(quiz('? Q?\n+ a\n- b\n\nstray text'))).toThrow(/line 8: text outside a question/);
    expect(() => extractQuiz(quiz('+ a'))).toThrow(/line 4: text outside a question/);
  });

  it('rejects an empty quiz block', () => {
    expect(() => extractQuiz('```quiz\n```\n')).toThrow(/line 1: quiz block has no questions/);
  });
});
