/**
 * One chart redrawn at a time. Re-rendering a recharts chart costs tens of milliseconds on a slow machine, and an
 * epoch's end changes all six at once; done in one go that is one long main-thread task. Each chart instead
 * queues its new props here; the queue lets one chart at a time take them, as a transition (React renders it
 * in slices, yielding to input and paint), and starts the next chart only once that one has committed.
 */
import { startTransition, useEffect, useState } from 'react';

/** A queued update; it calls `done` (at once or later) when the next one may start. */
type Job = (done: () => void) => void;

const queue: Job[] = [];
let busy = false;
let timer: ReturnType<typeof setTimeout> | null = null;

function pump(): void {
  timer = null;
  if (busy) return;
  const job = queue.shift();
  if (!job) return;
  busy = true;
  let finished = false;
  job(() => {
    if (finished) return;
    finished = true;
    busy = false;
    kick();
  });
}

function kick(): void {
  if (timer === null && !busy && queue.length > 0) timer = setTimeout(pump, 0);
}

/** Queues `job` after the ones already waiting; returns a function that takes it out again if it has not run. */
export function scheduleStaggered(job: Job): () => void {
  queue.push(job);
  kick();
  return () => {
    const i = queue.indexOf(job);
    if (i >= 0) queue.splice(i, 1);
  };
}

/**
 * `value` as of this component's last turn in the queue: the first render (and server rendering) shows it at
 * once, a later change when its turn comes. A newer value replaces a waiting one.
 */
export function useStaggered<T>(value: T): T {
  const [shown, setShown] = useState(value);
  useEffect(() => {
    if (Object.is(value, shown)) return;
    let release: (() => void) | null = null;
    const cancel = scheduleStaggered((done) => {
      release = done;
      startTransition(() => setShown(value));
    });
    // Runs once `shown` has been committed (or `value` changed again, or the chart went away): the next
    // chart's turn.
    return () => {
      cancel();
      release?.();
    };
  }, [value, shown]);
  return shown;
}
