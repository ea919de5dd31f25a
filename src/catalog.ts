// The course, in order, and the one place where a step's id becomes file paths.
//
// Every command reads this list; nothing else names a lesson file, a stub, a reference or a hidden
// suite. test/catalog.test.ts fails when a step lacks a file or a file belongs to no step.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The installed package's root directory (the folder holding package.json). */
export const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** A runnable demo that backs a claim of a lesson: `learn-io run ID` runs lessons/demos/ID.ts. */
export interface Demo {
  id: string;
  title: string;
}

interface StepBase {
  /** kebab-case; also the CLI argument (`learn-io read coroutines`). */
  id: string;
  title: string;
  /** One line for `list` and for `next` when it names the step. */
  summary: string;
  /** Content not built yet: listed as coming, passed over by `next`, refused by the other commands. */
  coming?: true;
  /** Operating systems the step runs on (process.platform values); absent means every platform. */
  platforms?: NodeJS.Platform[];
}

export interface LessonStep extends StepBase {
  kind: 'lesson';
  demos: Demo[];
}

export interface ExerciseStep extends StepBase {
  kind: 'exercise';
  /** Files the learner edits, relative to the exercise folder; copied from exercises/ID/ by `init`. */
  files: string[];
  /** Score of the whole exercise, shared evenly among its hidden tests. */
  points: number;
  /** Limit for one hidden test, in ms: past it the test is stopped and reported as a timeout. */
  testTimeoutMs: number;
  /** Limit for the whole suite, in ms, however many tests hang. */
  suiteTimeoutMs: number;
  /** Graded hints, from a nudge to nearly the answer; `learn-io hint` shows one more each time. */
  hints: string[];
  /**
   * A server exercise: the file (one of `files`) whose main() the socket harness (grader/harness) runs
   * as a process of its own, for the hidden suite and for `learn-io serve`. The test worker does not
   * import a server exercise's files.
   */
  server?: string;
  /** For a server exercise: a command to try it by hand, `{port}` standing for the port `serve` uses. */
  tryIt?: string;
  /** A bonus part: optional for completing the course. */
  bonus?: true;
}

export type Step = LessonStep | ExerciseStep;

export const course: readonly Step[] = [
  {
    id: 'coroutines',
    kind: 'lesson',
    title: 'Coroutines',
    summary: 'user-space scheduling; why switching pays only on I/O; generators as coroutines',
    demos: [
      { id: 'interleave', title: 'three generator tasks taking turns under a round-robin driver, on one thread' },
      { id: 'switch-cost', title: 'the cost of a generator switch next to a function call and a thread round trip' },
      { id: 'cpu-bound', title: 'switching pure computation gains nothing; overlapping waits does' },
      { id: 'blocking-stalls', title: 'one blocking call stalls every cooperative task' },
      { id: 'shared-state', title: 'shared data without locks: safe between switch points, unsafe across a yield' },
      { id: 'trampoline', title: 'why generators need a trampoline to hand control to each other' },
    ],
  },
  {
    id: 'coroutine-switcher',
    kind: 'exercise',
    title: 'A coroutine switcher (greenlet on generators)',
    summary: 'symmetric coroutines: switch, parent, return to parent, throw, dead',
    files: ['switcher.ts'],
    points: 100,
    testTimeoutMs: 2000,
    suiteTimeoutMs: 60_000,
    hints: [
      'Start with the driver, not the Greenlet class: one loop that holds `current`, resumes one generator ' +
        'with next(value) or throw(error), and looks at what came back. Everything else is bookkeeping around it.',
      'A generator can stop in three ways: it yields a request (switch to X, throw into X), it returns ' +
        '(done: true), or it throws. Write one branch for each. Returning and throwing both mean "go to the ' +
        'parent", never to whoever switched in last.',
      'A switch to a dead greenlet goes to its nearest live ancestor (walk `parent` until !dead). If that ' +
        'ancestor is the greenlet asking, the switch returns its own packed arguments at once; switching to ' +
        'yourself does the same, and must not resume the running generator (JavaScript would throw).',
      'Pack payloads in one function: no argument gives [], one gives the value itself, two or more give an ' +
        'array. The first switch into a greenlet that never ran is different: spread the arguments into run().',
      'throw() into a greenlet that never started: do not call run() at all (its body must never run); mark ' +
        'the greenlet dead and route the error as if the body had raised it at once. A GreenletExit that ' +
        'escapes a body is not an error: deliver the exception object to the parent as a value.',
    ],
  },
  {
    id: 'cooperative-scheduling',
    kind: 'lesson',
    title: 'Cooperative scheduling (gevent)',
    summary: 'a hub that switches at I/O points; spawn, join, joinAll, value; what a blocking call does',
    demos: [
      { id: 'sleep-overlap', title: 'two tasks sleeping 2 s and 1 s finish in about 2 s, not 3: the waits overlap' },
      { id: 'stall-busy-loop', title: 'a busy loop is an un-patched sleep: event-loop delay measured with monitorEventLoopDelay' },
      { id: 'stall-atomics-wait', title: 'Atomics.wait blocks the thread: every task and timer waits with it' },
      { id: 'stall-exec-sync', title: 'execSync runs a child and blocks until it ends: the event loop stops meanwhile' },
      { id: 'one-thread', title: 'every task reports the same thread id: concurrency without a second thread' },
    ],
  },
  {
    id: 'hub',
    kind: 'exercise',
    title: 'A small gevent: the hub and cooperative sockets',
    summary: 'spawn, sleep, join, joinAll, kill, timeouts; then an echo server over epoll',
    files: ['hub.ts', 'server.ts'],
    server: 'server.ts',
    tryIt: "printf 'hello\\n' | nc -N 127.0.0.1 {port}      (or: curl -s telnet://127.0.0.1:{port})",
    points: 100,
    testTimeoutMs: 15_000,
    suiteTimeoutMs: 300_000,
    hints: [
      'Start with the loop of run(): a FIFO ready queue of (task, how to resume it), and a turn that takes ' +
        'the queue as it is, empties it, and resumes each task with gen.next(value) or gen.throw(error) until it ' +
        'yields. Every waiting method is a tiny generator that yields one request to that loop.',
      'One request covers every wait: "park me", carrying a function that undoes whatever will wake the task (a ' +
        'timer, a joiner callback, an epoll interest). A wake-up calls that function once and queues the task ' +
        'with its resume value or error. sleep(0) is the other request: back of the queue, no timer.',
      'Timers: a heap ordered by (deadline, sequence number), so equal deadlines wake FIFO. After each turn fire ' +
        'the due ones; if nothing is ready, ask the clock to sleep until the next deadline. If nothing is ready, ' +
        'no timer is set and no task waits for I/O, main can never be woken: throw a LoopExit into it.',
      'kill(): a task whose body never ran dies at once (its function never runs). A waiting one is woken with ' +
        'the GreenletExit thrown at its wait. A GreenletExit that ends a task is a success: value = the exception.',
      'A Timeout that fires while its task waits is thrown at the wait; one that fires while the task is busy ' +
        'or only yielding (sleep(0)) is remembered and thrown at the task\'s next real wait.',
      'Part 2: recv/sendall try the call first; on BlockingIOError they park until epoll says the descriptor is ' +
        'ready. With no ready task, the idle wait is epoll_wait with the time until the next timer (-1 if none).',
    ],
  },
  {
    id: 'io-models',
    kind: 'lesson',
    title: 'The five I/O models',
    summary: 'blocking, non-blocking, multiplexing, signal-driven, asynchronous; the two phases of a read',
    demos: [
      { id: 'blocking-recv', title: 'a blocking recv() sleeps in the kernel until data comes: wall time against CPU time' },
      { id: 'nonblocking-spin', title: 'a non-blocking recv() loop spinning on EAGAIN: the CPU it burns while waiting' },
      { id: 'two-phases', title: "a read's two phases: waiting for data, then copying it from kernel to process" },
      { id: 'select-many', title: 'one select() call watching several sockets; only the ready ones come back' },
      { id: 'strace-select', title: 'the system calls of a small select() server, live under strace' },
      { id: 'strace-node', title: "what Node does underneath: epoll_wait on the main thread, file reads on libuv's pool" },
    ],
  },
  {
    id: 'select-poll-epoll',
    kind: 'lesson',
    title: 'select, poll and epoll',
    summary: 'FD_SETSIZE, sets copied on every call, O(n) scans; epoll\'s interest and ready lists',
    demos: [
      { id: 'fd-setsize', title: 'the FD_SETSIZE wall: select() refuses descriptor 1024, poll and epoll do not' },
      { id: 'wait-cost', title: 'one wait against N idle descriptors for select, poll and epoll: a table and a chart' },
      { id: 'edge-level', title: 'level- against edge-triggered epoll: the stall of an undrained edge, the spin of a level EPOLLOUT' },
      { id: 'selector-echo', title: 'an echo server on the selector registry, callbacks in the data slot' },
    ],
  },
  {
    id: 'select-server',
    kind: 'exercise',
    title: 'An upper-case echo server over select()',
    summary: 'non-blocking sockets, read and write lists, per-client output buffers',
    files: ['server.ts'],
    server: 'server.ts',
    tryIt: "printf 'hello\\n' | nc -N 127.0.0.1 {port}      (or: curl -s telnet://127.0.0.1:{port})",
    points: 100,
    testTimeoutMs: 15_000,
    suiteTimeoutMs: 180_000,
    hints: [
      'Start from the loop\'s shape: build both lists, call select(readers, writers, [], null), then handle what ' +
        'came back: the listener first (accept), then readable clients, then writable ones. Rebuild the lists on ' +
        'every turn from your own per-client state; select() gives back only what is ready now.',
      'The listener is non-blocking, so accept() in a loop until it throws BlockingIOError: several clients can ' +
        'be waiting behind one readiness. Make each new socket non-blocking too. If its fileno() is >= FD_SETSIZE, ' +
        'select() cannot watch it: close it at once (that is the server\'s cap), do not let select throw.',
      'recv() returning an empty Buffer means the client has finished sending (it may still be reading!): ' +
        'stop reading from it, send what you still owe, then close. Any OSError from recv or send (ECONNRESET, ' +
        'EPIPE) ends that one client: close it and forget it, so it leaves both lists.',
      'Never call sendall() on a non-blocking socket: send() takes what fits and returns a count. Keep the rest ' +
        'in the client\'s queue and put the client in the write list only while the queue is not empty; an ' +
        'always-writable socket in the write list makes select() return at once, forever (a spin).',
      'A client that sends without reading would make your queue grow without end. Leave it out of the read list ' +
        'while its backlog is at or over MAX_BACKLOG; the kernel then makes the sender wait. Put it back once ' +
        'the backlog drains.',
    ],
  },
  {
    id: 'epoll-server',
    kind: 'exercise',
    title: 'Bonus: the same server over edge-triggered epoll',
    summary: 'epoll_ctl once, epoll_wait many; read until EAGAIN in edge mode',
    bonus: true,
    platforms: ['linux'],
    files: ['server.ts'],
    server: 'server.ts',
    tryIt: "printf 'hello\\n' | nc -N 127.0.0.1 {port}      (or: curl -s telnet://127.0.0.1:{port})",
    points: 50,
    testTimeoutMs: 15_000,
    suiteTimeoutMs: 240_000,
    hints: [
      'Register each client once, right after accept(), for EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, and keep a ' +
        'Map from descriptor to your client state: epoll hands back descriptors (the data slot), not objects.',
      'Edge-triggered means "became ready", not "is ready". On an event, read until recv() throws ' +
        'BlockingIOError and send until send() does (or nothing is owed). Stop earlier and the bytes left in ' +
        'the kernel are never announced again: that connection stalls.',
      'The listener is an edge too: accept() in a loop until BlockingIOError, or clients that arrived together ' +
        'wait forever.',
      'When a client is owed MAX_BACKLOG bytes you stop reading it. Once sending drains the backlog, read it ' +
        'again yourself: the bytes already waiting will not produce a new edge.',
      'Unregister a client (EPOLL_CTL_DEL) before you close it, and drop it from your Map, so that its descriptor ' +
        'number can be reused by the next accept() without mixing two clients up.',
    ],
  },
  {
    id: 'threads',
    kind: 'lesson',
    title: 'Threads, shared memory and pools',
    summary: 'worker_threads, SharedArrayBuffer and Atomics, libuv\'s thread pool, producer and consumer',
    demos: [
      { id: 'uv-threadpool', title: "libuv's own thread pool: eight slow reads on the pool with UV_THREADPOOL_SIZE 4, then 8" },
      { id: 'producer-consumer', title: 'producers and consumers on worker threads around one blocking Queue in shared memory' },
      { id: 'pool-vs-threads', title: 'a thread per connection, a fixed pool, an event loop: threads, memory and time for N clients' },
      { id: 'past-the-limit', title: 'what users past a maximum of concurrent sessions see: refused at once, or left waiting' },
    ],
  },
  {
    id: 'thread-pool',
    kind: 'exercise',
    title: 'A fixed thread pool fed by a blocking queue',
    summary: 'workers started once, errors reported, shutdown that drains or cancels',
    files: ['pool.ts', 'worker.ts'],
    points: 100,
    testTimeoutMs: 10_000,
    suiteTimeoutMs: 120_000,
    hints: [
      'Start with serve() in worker.ts: Queue.from(init.queue), then loop queue.get(), await handle(task, ' +
        'context), port.postMessage(outcome). Get one thread working before you write shutdown.',
      'Constructor: check size and queueCapacity first. Then make one Queue.create(capacity) and call ' +
        'startWorker(new URL(\'./worker.ts\', import.meta.url), { ... queue: queue.buffer, handler: href ... }) ' +
        'size times. Send the handler as an href string: a URL object cannot be cloned to a thread.',
      'Put the try/catch around the handle() call only, inside the loop. A failure posts { task, ok: false, ' +
        'name, message } and the thread keeps going. Never use a task id such as -1 as a stop signal: every ' +
        'int32 is a task; the Queue\'s shutdown is the stop signal.',
      'submit() is queue.put(task, timeoutMs): the Queue already blocks, throws QueueFull after the limit and ' +
        'QueueShutDown after shutdown. To drain, queue.shutdown(). To cancel, getNowait() until QueueEmpty to ' +
        'collect the ids, then queue.shutdown({ immediate: true }).',
      'Joining: one promise per thread, resolved by worker.once(\'exit\'). Keep Promise.all(exits) so that a ' +
        'second shutdown() returns the same promise. Read worker.threadId when you start the thread: it is -1 ' +
        'after exit.',
    ],
  },
  {
    id: 'thread-pool-ftp',
    kind: 'exercise',
    title: 'A thread-pool FTP server',
    summary: 'RFC 959 for real clients, sessions served by the pool, a maximum of concurrent users',
    files: ['ftp-server.ts', 'session.ts'],
    server: 'ftp-server.ts',
    tryIt: 'curl -s --user learner:learner ftp://127.0.0.1:{port}/      (or: lftp -u learner,learner ftp://127.0.0.1:{port})',
    points: 150,
    testTimeoutMs: 20_000,
    suiteTimeoutMs: 400_000,
    hints: [
      'Get the skeleton right first: main() starts the worker threads once, then loops on a blocking accept(). ' +
        'It counts sessions in a shared Int32Array (Atomics.add), puts the new descriptor on the Queue, and a ' +
        'worker takes it with get(), wraps it with Socket.fromFd() and serves the whole session.',
      'The user limit is decided by the acceptor before queueing: when the count is at the maximum, send ' +
        '"421 Too many users" on the new socket and close it at once. Each worker decrements the count in a ' +
        'finally block, however its session ended (QUIT, EOF, reset, timeout, an error).',
      'Read commands line by line from a buffer, not one recv() per command: a client may send half a line, ' +
        'or several lines at once. Refuse a line longer than the limit (500) without waiting for its end.',
      'Path resolution is the security core: join the session\'s directory with the argument, normalise it, ' +
        'then resolve symlinks with fs.realpathSync and check the result is still inside the root. Do it for ' +
        'every command that takes a path, including RNFR/RNTO and the directory of a STOR target.',
      'PASV/EPSV: bind a listener to 127.0.0.1 port 0, reply with its port, accept() with a time limit (poll), ' +
        'transfer, close, then send 226. STOR writes to a temporary name and renames it only after the data ' +
        'connection ended cleanly; binary mode (TYPE I) never touches the bytes.',
    ],
  },
  {
    id: 'servers-compared',
    kind: 'lesson',
    title: 'Your servers compared under load',
    summary: 'thread pool, select, epoll and Node\'s net side by side',
    coming: true,
    demos: [],
  },
];

/** The step with this id, or undefined. */
export function findStep(id: string): Step | undefined {
  return course.find((step) => step.id === id);
}

export function isAvailable(step: Step, platform: NodeJS.Platform = process.platform): boolean {
  return !step.coming && (!step.platforms || step.platforms.includes(platform));
}

/**
 * Every path that belongs to a step, derived from its id. `root` is the package root; `workspace`
 * (optional) is a learner's workspace, for the paths of the learner's own copies.
 */
export function stepPaths(step: Step, root: string = packageRoot) {
  const id = step.id;
  return {
    /** lessons/ID.md */
    lesson: path.join(root, 'lessons', `${id}.md`),
    /** exercises/ID/: the untouched stubs and the task. */
    stubDir: path.join(root, 'exercises', id),
    /** exercises/ID/README.md */
    task: path.join(root, 'exercises', id, 'README.md'),
    /** solutions/ID/: the reference solution, file for file with the stubs. */
    referenceDir: path.join(root, 'solutions', id),
    /** grader/suites/ID/: the hidden Vitest suite. */
    suiteDir: path.join(root, 'grader', 'suites', id),
    /** lessons/demos/DEMO.ts for each of the lesson's demos. */
    demos: step.kind === 'lesson' ? step.demos.map((demo) => demoPath(demo.id, root)) : [],
  };
}

export function demoPath(demoId: string, root: string = packageRoot): string {
  return path.join(root, 'lessons', 'demos', `${demoId}.ts`);
}

/** Where a workspace keeps its copy of an exercise: WORKSPACE/exercises/ID/. */
export function workspaceExerciseDir(workspace: string, step: ExerciseStep): string {
  return path.join(workspace, 'exercises', step.id);
}

export function findDemo(demoId: string): { demo: Demo; lesson: LessonStep } | undefined {
  for (const step of course) {
    if (step.kind !== 'lesson') continue;
    const demo = step.demos.find((d) => d.id === demoId);
    if (demo) return { demo, lesson: step };
  }
  return undefined;
}
