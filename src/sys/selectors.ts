// A selectors-style registry, after Python's selectors module: one small contract (register, modify,
// unregister, select returning keys with a `data` slot) over interchangeable back ends (select, poll,
// epoll), and DefaultSelector naming the best the platform has.
//
// Level-triggered throughout: select() reports a descriptor each time while it stays ready. Errors
// and hang-ups count as both readable and writable, so whoever waits on either finds out (recv or send
// then gives the end of stream or the error).
import { constants as C } from './constants.ts';
import { Epoll } from './epoll.ts';
import { OSError } from './errors.ts';
import { fdSetsizeError, filenoOf, poll, select, waitLimit, type Waitable } from './select.ts';

/** Interest in reading (data, a connection to accept, end of stream). */
export const EVENT_READ = 1;
/** Interest in writing (room in the send buffer, a finished non-blocking connect). */
export const EVENT_WRITE = 2;

/** What a registration holds: the object, its descriptor, the events of interest and your data. */
export interface SelectorKey<T = unknown> {
  readonly fileobj: Waitable;
  readonly fd: number;
  readonly events: number;
  readonly data: T;
}

/** The contract every back end keeps. `T` is the type of the data slot. */
export abstract class BaseSelector<T = unknown> {
  readonly #keys = new Map<number, SelectorKey<T>>();
  #closed = false;

  /** Which system call waits: 'select', 'poll' or 'epoll'. */
  abstract readonly name: string;

  /**
   * Starts watching `fileobj` for `events` (EVENT_READ | EVENT_WRITE), with `data` handed back by select().
   * Throws Error if it is registered already, RangeError for no events or a closed descriptor.
   */
  register(fileobj: Waitable, events: number, data?: T): SelectorKey<T> {
    this.#open();
    checkEvents(events);
    const fd = filenoOf(fileobj, 'register');
    if (this.#keys.has(fd)) throw new Error(`register: descriptor ${fd} is registered already (use modify)`);
    const key: SelectorKey<T> = { fileobj, fd, events, data: data as T };
    this.backendAdd(fd, events);
    this.#keys.set(fd, key);
    return key;
  }

  /** Stops watching `fileobj` and returns its key. Works on a socket closed since (found by identity). */
  unregister(fileobj: Waitable): SelectorKey<T> {
    this.#open();
    const key = this.#lookup(fileobj, 'unregister');
    this.#keys.delete(key.fd);
    this.backendRemove(key.fd);
    return key;
  }

  /** New events and/or data for a registered object. */
  modify(fileobj: Waitable, events: number, data?: T): SelectorKey<T> {
    this.#open();
    checkEvents(events);
    const old = this.#lookup(fileobj, 'modify');
    const key: SelectorKey<T> = { ...old, events, data: arguments.length > 2 ? (data as T) : old.data };
    if (events !== old.events) this.backendModify(key.fd, events);
    this.#keys.set(key.fd, key);
    return key;
  }

  /**
   * Waits for readiness and returns [key, ready events] pairs (only events the key asked for).
   * timeoutMs: null or undefined waits without a limit, 0 or less only looks. An empty array means
   * the time ran out.
   */
  select(timeoutMs?: number | null): [SelectorKey<T>, number][] {
    this.#open();
    const limit = waitLimit(timeoutMs, 'select');
    const wait = timeoutMs == null || timeoutMs === Infinity ? null : Math.max(0, limit); // negative: only look, as in Python
    const out: [SelectorKey<T>, number][] = [];
    for (const [fd, ready] of this.backendWait(wait)) {
      const key = this.#keys.get(fd);
      if (key && (ready & key.events) !== 0) out.push([key, ready & key.events]);
    }
    return out;
  }

  /** The key of a registered object, or undefined. */
  getKey(fileobj: Waitable): SelectorKey<T> | undefined {
    try {
      return this.#lookup(fileobj, 'getKey');
    } catch {
      return undefined;
    }
  }

  /** Every registration, by descriptor. */
  getMap(): ReadonlyMap<number, SelectorKey<T>> {
    return this.#keys;
  }

  /** Forgets every registration and releases the back end (the epoll descriptor). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#keys.clear();
    this.backendClose();
  }

  protected abstract backendAdd(fd: number, events: number): void;
  protected abstract backendModify(fd: number, events: number): void;
  protected abstract backendRemove(fd: number): void;
  /** [fd, EVENT_READ | EVENT_WRITE] for each ready descriptor. */
  protected abstract backendWait(timeoutMs: number | null): Iterable<[number, number]>;
  protected backendClose(): void {}

  #open(): void {
    if (this.#closed) throw new Error(`this ${this.name} selector is closed`);
  }

  #lookup(fileobj: Waitable, op: string): SelectorKey<T> {
    const fd = typeof fileobj === 'number' ? fileobj : fileobj.fileno();
    const byFd = this.#keys.get(fd);
    if (byFd && (byFd.fileobj === fileobj || typeof fileobj === 'number')) return byFd;
    // A socket closed after registering has fileno() -1: find it by identity, as Python does.
    for (const key of this.#keys.values()) if (key.fileobj === fileobj) return key;
    throw new Error(`${op}: ${typeof fileobj === 'number' ? `descriptor ${fileobj}` : String(fileobj)} is not registered`);
  }
}

function checkEvents(events: number): void {
  if (!Number.isInteger(events) || events <= 0 || (events & ~(EVENT_READ | EVENT_WRITE)) !== 0) {
    throw new RangeError(`events must be EVENT_READ, EVENT_WRITE or both, not ${events}`);
  }
}

/** The registry over select(2): portable, limited to descriptors below FD_SETSIZE. */
export class SelectSelector<T = unknown> extends BaseSelector<T> {
  readonly name = 'select';
  readonly #read = new Set<number>();
  readonly #write = new Set<number>();

  protected backendAdd(fd: number, events: number): void {
    if (fd >= C.FD_SETSIZE) throw fdSetsizeError(fd); // now, rather than at the next select()
    this.backendModify(fd, events);
  }
  protected backendModify(fd: number, events: number): void {
    if (events & EVENT_READ) this.#read.add(fd);
    else this.#read.delete(fd);
    if (events & EVENT_WRITE) this.#write.add(fd);
    else this.#write.delete(fd);
  }
  protected backendRemove(fd: number): void {
    this.#read.delete(fd);
    this.#write.delete(fd);
  }
  protected *backendWait(timeoutMs: number | null): Iterable<[number, number]> {
    const [r, w, x] = select([...this.#read], [...this.#write], [...this.#write], timeoutMs);
    const ready = new Map<number, number>();
    for (const fd of r) ready.set(fd, EVENT_READ);
    for (const fd of [...w, ...x]) ready.set(fd, (ready.get(fd) ?? 0) | EVENT_WRITE);
    yield* ready;
  }
}

/** The registry over poll(2): no FD_SETSIZE limit, still a scan of every entry per call. */
export class PollSelector<T = unknown> extends BaseSelector<T> {
  readonly name = 'poll';
  readonly #fds = new Map<number, number>();

  protected backendAdd(fd: number, events: number): void {
    this.#fds.set(fd, events);
  }
  protected backendModify(fd: number, events: number): void {
    this.#fds.set(fd, events);
  }
  protected backendRemove(fd: number): void {
    this.#fds.delete(fd);
  }
  protected *backendWait(timeoutMs: number | null): Iterable<[number, number]> {
    const list = [...this.#fds].map(([fd, ev]) => ({ fd, events: (ev & EVENT_READ ? C.POLLIN : 0) | (ev & EVENT_WRITE ? C.POLLOUT : 0) }));
    for (const { fd, revents } of poll(list, timeoutMs)) yield [fd, toEvents(revents, C.POLLIN, C.POLLOUT)];
  }
}

/** The registry over epoll(7), Linux: the kernel keeps the interest list; a wait costs what is ready. */
export class EpollSelector<T = unknown> extends BaseSelector<T> {
  readonly name = 'epoll';
  readonly #ep = new Epoll();

  protected backendAdd(fd: number, events: number): void {
    this.#ep.register(fd, toEpoll(events));
  }
  protected backendModify(fd: number, events: number): void {
    this.#ep.modify(fd, toEpoll(events));
  }
  protected backendRemove(fd: number): void {
    try {
      this.#ep.unregister(fd);
    } catch (e) {
      // Closed before unregistering: the kernel already dropped it (EBADF) or never had it (ENOENT).
      if (!(e instanceof OSError && (e.code === 'EBADF' || e.code === 'ENOENT'))) throw e;
    }
  }
  protected *backendWait(timeoutMs: number | null): Iterable<[number, number]> {
    // Enough for a busy turn; more ready descriptors simply come back on the next call (still ready).
    const max = Math.max(1, Math.min(this.getMap().size, 1024));
    for (const [fd, ev] of this.#ep.poll(timeoutMs, max)) yield [fd, toEvents(ev, C.EPOLLIN!, C.EPOLLOUT!)];
  }
  protected override backendClose(): void {
    this.#ep.close();
  }
  fileno(): number {
    return this.#ep.fileno();
  }
}

const toEpoll = (events: number) => (events & EVENT_READ ? C.EPOLLIN! : 0) | (events & EVENT_WRITE ? C.EPOLLOUT! : 0);

// Anything but plain writability (an error, a hang-up) wakes readers; anything but plain readability
// wakes writers: the same rule as Python's selectors.
function toEvents(revents: number, IN: number, OUT: number): number {
  let ev = 0;
  if (revents & ~OUT) ev |= EVENT_READ;
  if (revents & ~IN) ev |= EVENT_WRITE;
  return ev;
}

/** The best registry of this platform: epoll on Linux, poll elsewhere. */
export const DefaultSelector: new <T = unknown>() => BaseSelector<T> = process.platform === 'linux' ? EpollSelector : PollSelector;
