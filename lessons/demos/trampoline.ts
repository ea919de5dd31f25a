// Why generators need a trampoline to hand control to each other
//
// What it shows, in two parts:
//   1. Generators are asymmetric: next() runs a generator until it yields and
//      then control always goes back to whoever called next(). If generator A
//      resumes B from inside its body, and B tries to resume A, JavaScript
//      refuses: A is still running (it is the one waiting inside next()).
//   2. A trampoline fixes that: coroutines never resume each other directly.
//      They yield a request ("transfer to X with value v") to one driver loop,
//      which resumes X. Each hand-over goes A -> driver -> B, so from the
//      coroutines' point of view control moves sideways, symmetrically.
// The driver here is deliberately tiny: no parents, no return-to-parent, no
// throw, no dead-coroutine rules. Those are the coroutine-switcher exercise.
// Bounded: a few dozen steps; stops by itself.
//
// Backs the lesson's section on symmetric vs asymmetric coroutines and the
// trampoline (C07: explicit symmetric switch, built on asymmetric generators).

// ---------------------------------------------------------------- part 1
console.log('Part 1: resuming a generator that is waiting inside next()\n');

let a: Generator<string, void, void>;
let b: Generator<string, void, void>;

function* bodyA(): Generator<string, void, void> {
  console.log('  A: running; resuming B from inside my own body');
  const fromB = b.next(); // A's frame stays on the stack while B runs
  console.log(`  A: B yielded ${JSON.stringify(fromB.value)}; control came back to me, its caller`);
  yield 'A is done';
}

function* bodyB(): Generator<string, void, void> {
  console.log('  B: running; trying to switch straight back to A');
  try {
    a.next();
  } catch (err) {
    console.log(`  B: refused -> ${(err as Error).constructor.name}: ${(err as Error).message}`);
  }
  yield 'hello from B';
}

a = bodyA();
b = bodyB();
a.next();

// ---------------------------------------------------------------- part 2
console.log('\nPart 2: the same hand-over through a trampoline\n');

type Name = 'ping' | 'pong';
type Transfer = { to: Name; value: number };
type CoBody = Generator<Transfer | 'ready', string, number>;

function* ping(): CoBody {
  let n = 0;
  while (n < 6) {
    console.log(`  ping: has ${n}, hands ${n + 1} to pong`);
    n = yield { to: 'pong', value: n + 1 }; // suspended until someone transfers to ping
  }
  return `ping finished holding ${n}`;
}

function* pong(): CoBody {
  let received = 0; // pong's own locals survive between its turns
  // A generator's first next(v) throws v away: no yield is waiting to receive
  // it yet. So pong is primed (run up to here) before anyone transfers to it.
  let n = yield 'ready';
  for (;;) {
    received += 1;
    console.log(`  pong: got ${n} (${received} so far), hands ${n * 2} back`);
    n = yield { to: 'ping', value: n * 2 };
  }
}

function trampoline(start: Name): string {
  const bodies: Record<Name, CoBody> = { ping: ping(), pong: pong() };
  const primed = bodies.pong.next(0); // run pong up to `yield 'ready'`
  console.log(`  driver: primed pong, it says ${JSON.stringify(primed.value)}`);
  let current: Name = start;
  let value = 0;
  let hops = 0;
  for (;;) {
    const r = bodies[current].next(value); // the only place anything is resumed
    hops += 1;
    if (r.done) {
      console.log(`  driver: ${current} returned after ${hops} resumptions`);
      return r.value;
    }
    const req = r.value;
    if (req === 'ready') throw new Error(`${current} yielded 'ready' twice`);
    console.log(`  driver: ${current} -> ${req.to}`);
    current = req.to;
    value = req.value;
  }
}

const result = trampoline('ping');
console.log(`  result: "${result}"`);

console.log(`
What happened:
  - Part 1: next() is a call. B ran inside A's call to b.next(), so A was
    still "running" and could not be resumed by B. A generator can only give
    control back to its caller: an asymmetric coroutine.
  - Part 2: ping and pong never call each other. Each yields "give the thread
    to X, with this value" to the driver, and the driver resumes X with next().
    Every transfer is two hops (coroutine -> driver -> coroutine), which is
    cheap, and the result reads like a symmetric switch: each side names who
    runs next, and gets back whatever is sent to it later.
  - pong had to be primed: the value passed to a generator's very first
    next() is lost. Starting a coroutine with arguments has to be solved
    some other way.
  - Everything a real switcher needs beyond this (starting a coroutine with
    arguments, where control goes when one finishes or throws, what switching
    to a finished one means) is the coroutine-switcher exercise.`);

export {}; // a module, not a script: keeps its names out of the global scope
