// A timeout that never fires early. Node's timers count in whole milliseconds
// of the event loop's clock, so setTimeout(7.5) fired after as little as
// 6.2 ms by performance.now() here, and a request could be reported timed out
// before its limit (a CI run saw a 300 ms timeout measured under 299 ms).
// Re-armed for what is left until the deadline.

export interface Deadline {
  readonly clear: () => void;
}

export function timerAtLeast(ms: number, fire: () => void): Deadline {
  const due = performance.now() + ms;
  let handle: ReturnType<typeof setTimeout>;
  const arm = (wait: number) => {
    handle = setTimeout(() => {
      const left = due - performance.now();
      if (left > 0) arm(Math.ceil(left));
      else fire();
    }, wait);
  };
  arm(ms);
  return { clear: () => clearTimeout(handle) };
}
